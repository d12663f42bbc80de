import type { EntityManager } from 'typeorm';
import { ComponentFact, DependencyGraph, Effective, EdgeFact, ReportFact, StatusPicture } from './status.engine';
import { LivePictureState, livePictureRepository, LiveRow } from './live-picture.repository';
import type { StoredMember } from './live-picture.repository';
import { statusRepository } from './status.repository';
import { dependenciesInForce, keptDependenciesInForce } from './dependencies-in-memory';
import type { DependenciesInForce } from './dependencies-in-memory';
import type { Component } from '../component/component.entity';
import type { ComponentStatus } from './status.rules';

/**
 * The live picture: every component's effective status with every fact known, stored in
 * `live_status` so the national overview reads counts instead of re-judging the country, and a
 * what-if re-judges only what lies above the component it is about.
 *
 * It is kept current in the transaction of every status report (`judgeReportOnLivePicture`, called
 * by the live-updates code, which takes its change events from it) and of every dependency added or
 * removed and heartbeat changed (`rejudgeInLivePicture`): both judge the changed component and what
 * is above it again on top of the stored picture. Any other write that can change
 * a status (the demo seed, a bulk load, SQL by hand) is counted by a trigger and leaves the picture
 * out of date; the next reader rebuilds it (`livePictureFor`). A reader asking about a moment
 * before the newest fact gets `false` and judges the facts itself, so the picture never answers a
 * question it cannot answer exactly.
 */

function rowOf(effective: Effective, fact: ComponentFact | undefined): LiveRow {
  const reports = fact?.reports ?? [];
  return {
    componentId: effective.componentId,
    status: effective.status,
    cause: effective.cause,
    rootCause: effective.rootCause,
    rootCauseReport: effective.rootCauseReport,
    staleFrom: effective.staleFrom,
    report: reports.length > 0 ? reports[reports.length - 1] : null,
  };
}

/** A stored row as the status engine's answer for that component at moment `at`. */
export function effectiveFromLiveRow(row: LiveRow, at: Date): Effective {
  return {
    componentId: row.componentId,
    status: row.status,
    cause: row.cause,
    rootCause: row.rootCause,
    rootCauseReport: row.rootCauseReport,
    // The stored deadline may come from below, so it cannot say when the component's own heartbeat
    // ran out. A known component only stands in for a dependency, and dependants read `stale`.
    ownStaleSince: null,
    stale: row.staleFrom !== null && row.staleFrom.getTime() < at.getTime(),
    staleFrom: row.staleFrom,
  };
}

function isCurrent(state: LivePictureState): boolean {
  return state.version === state.changes;
}

/**
 * Read in a status report's transaction after the report was inserted (which counted one change):
 * whether the picture was current just before it, with no fact dated after `moment`.
 */
function currentBeforeThisReport(state: LivePictureState, moment: Date): boolean {
  return state.version === state.changes - 1 && state.latestMoment <= moment.getTime();
}

/** The stored picture of what the edges leaving a set point at, where that is in an outage. */
async function storedOutagesOutside(db: EntityManager, edges: readonly { dependsOnId: string; outsideOutage: boolean }[], at: Date): Promise<Map<string, Effective>> {
  const outside = [...new Set(edges.filter((e) => e.outsideOutage).map((e) => e.dependsOnId))];
  const known = new Map<string, Effective>();
  for (const row of await livePictureRepository.rowsOf(db, outside)) known.set(row.componentId, effectiveFromLiveRow(row, at));
  return known;
}

/**
 * Judges every component with every fact in force and stores the result. Holds the state row for
 * the duration, so status reports wait (seconds at national scale) rather than slip past it.
 */
export async function rebuildLivePicture(db: EntityManager): Promise<LivePictureState> {
  return db.transaction(async (tx) => {
    const state = await livePictureRepository.state(tx, 'lock');
    if (isCurrent(state)) return state;
    const latestMoment = await livePictureRepository.latestMomentOfFacts(tx);
    // One after the other: a transaction is one connection.
    const components = await livePictureRepository.allComponents(tx);
    const edges = await livePictureRepository.allCurrentEdges(tx);
    const reports = await livePictureRepository.newestReports(tx);
    const facts = new Map<string, ComponentFact>();
    for (const component of components) facts.set(component.id, { id: component.id, heartbeatSeconds: component.heartbeat_seconds, reports: [] });
    for (const report of reports) facts.get(report.componentId)?.reports.push(report);
    const graph = new DependencyGraph(facts.values(), edges);
    // Every fact is at or before latestMoment, so the picture then is the picture with every fact.
    const picture = new StatusPicture(graph, new Date(Number.isFinite(latestMoment) ? latestMoment : 0));
    const rows = components.map((component) => rowOf(picture.effective(component.id), facts.get(component.id)));
    await livePictureRepository.deleteAll(tx);
    await livePictureRepository.write(tx, rows, state.changes);
    await livePictureRepository.markCurrent(tx, state.changes, latestMoment);
    // Every row was just replaced: fresh statistics keep the national counts' plans right.
    await livePictureRepository.analyse(tx);
    return { ...state, version: state.changes, latestMoment };
  });
}

/**
 * Whether the stored picture answers questions about moment `at` (rebuilding it first when a write
 * left it out of date). False when a fact is dated after `at`: the question is about the past, or a
 * reporter's clock runs ahead. Then the caller judges the facts itself.
 */
export async function livePictureFor(db: EntityManager, at: Date): Promise<boolean> {
  let state = await livePictureRepository.state(db);
  if (!isCurrent(state)) {
    // A later fact makes the picture useless for `at` whether rebuilt or not (an unknown change
    // counts as infinitely late until a rebuild has looked).
    if (Number.isFinite(state.latestMoment) && state.latestMoment > at.getTime()) return false;
    state = await rebuildLivePicture(db);
  }
  return state.latestMoment <= at.getTime();
}

/** A status report judged: the components it can change, their statuses before, and the picture after. */
export interface JudgedReport {
  /** The reported component first, then everything that depends on it. */
  ids: string[];
  statusBefore(componentId: string): ComponentStatus;
  after: StatusPicture;
}

/**
 * The component and everything that depends on it judged again on top of the stored picture, as a
 * what-if does, and their rows written. What lies below them did not change, so it is read as
 * stored: the dependencies that can impose something, with the stored picture of what they point
 * to, and per component the earliest heartbeat deadline among the rest (when it goes stale).
 * Centric's gateway: 33,000 components judged without loading the 400,000 dependencies below them.
 * `newestReport`, when given, is the component's own newest report (a report was just inserted; its
 * stored row still holds the one before). `dependencies`, when given, is the copy in memory that
 * matches what this transaction sees: the walk and the dependencies come from it, not from 400,000
 * index probes. Null when the component has no stored row.
 */
async function judgeAboveOnStoredPicture(
  db: EntityManager, change: number, componentId: string, moment: Date, newestReport?: ReportFact | null, dependencies?: DependenciesInForce,
): Promise<{ ids: string[]; members: StoredMember[]; after: StatusPicture } | null> {
  const members = dependencies
    ? await livePictureRepository.storedMembers(db, dependencies.above(componentId))
    : await livePictureRepository.membersToJudge(db, componentId);
  const self = members.find((m) => m.fact.id === componentId);
  if (!self) return null;
  const ids = [componentId, ...members.filter((m) => m !== self).map((m) => m.fact.id)];
  const { edges, staleFromOutside } = dependencies
    ? await edgesAndDeadlinesFromMemory(db, dependencies, ids)
    : await livePictureRepository.edgesThatMatterAndOutsideDeadlines(db, ids);
  const known = await storedOutagesOutside(db, edges, moment);
  const facts = members.map((m): ComponentFact => ({
    ...m.fact,
    reports: m === self && newestReport !== undefined ? (newestReport ? [newestReport] : []) : m.fact.reports,
    staleFromOutside: staleFromOutside.get(m.fact.id) ?? null,
  }));
  const graph = new DependencyGraph(facts, edges);
  const after = new StatusPicture(graph, moment, undefined, known);
  await livePictureRepository.write(db, ids.map((id) => rowOf(after.effective(id), graph.component(id))), change);
  return { ids, members, after };
}

/** `edgesThatMatterAndOutsideDeadlines`, from the copy in memory and the stored picture of what lies just outside `ids`. */
async function edgesAndDeadlinesFromMemory(db: EntityManager, dependencies: DependenciesInForce, ids: readonly string[]) {
  const outside = await livePictureRepository.storedOutside(db, dependencies.outsideOf(ids));
  return { edges: dependencies.edgesThatMatter(ids, outside.inOutage), staleFromOutside: dependencies.earliestOutsideDeadlines(ids, outside.deadlines) };
}

/**
 * Called in a status report's transaction, after the report was inserted, when the stored picture
 * was current before it and no fact lies after `moment`: judges the reported component and
 * everything above it on top of the stored picture (`judgeAboveOnStoredPicture`), stores their
 * rows and marks the picture current. The statuses before are the stored ones.
 * Returns null when the stored picture cannot say what was before; the caller judges the facts.
 */
export async function judgeReportOnLivePicture(db: EntityManager, componentId: string, moment: Date): Promise<JudgedReport | null> {
  const state = await livePictureRepository.state(db);
  if (!currentBeforeThisReport(state, moment)) return null;
  // Its own newest report: the one just inserted, or a newer one when this report is history.
  const newest = await statusRepository.newestReport(db, componentId);
  // The walk and the dependencies from memory when the copy is current, as a what-if's: this
  // transaction wrote no dependency, and the state row it locked with its report keeps any other
  // writer of one waiting until it commits, so the count read above matches every dependency it sees.
  const dependencies = keptDependenciesInForce(db, state.dependencyChanges) ?? undefined;
  const judged = await judgeAboveOnStoredPicture(db, state.changes, componentId, moment, newest, dependencies);
  if (!judged) return null;
  await livePictureRepository.markCurrentKeepingMoment(db, state.changes);
  const statusBefore = new Map(judged.members.map((m) => [m.fact.id, m.storedStatus]));
  return { ids: judged.ids, statusBefore: (id) => statusBefore.get(id)!, after: judged.after };
}

/** The picture's state, read in a write's transaction before the write; see `rejudgeInLivePicture`. */
export function livePictureStateBefore(db: EntityManager): Promise<LivePictureState> {
  return livePictureRepository.state(db);
}

/**
 * Called in the transaction of a write that changed one component's dependencies or heartbeat,
 * with the state read before that write: judges that component and everything above it again, with
 * every fact, and stores them, so the national overview need not rebuild the country after a vendor
 * adds an edge. Only when the picture was current before and this write counted exactly one change:
 * a write that changed nothing (the same heartbeat again, an edge already removed) must not mark
 * current a picture that another write left out of date.
 */
export async function rejudgeInLivePicture(db: EntityManager, componentId: string, before: LivePictureState): Promise<boolean> {
  const state = await livePictureRepository.state(db);
  if (!isCurrent(before) || state.changes !== before.changes + 1 || !Number.isFinite(state.latestMoment)) return false;
  // Every fact is at or before latestMoment, so the picture then is the picture with every fact.
  // Rounded up: the server's now() (an edge's removal) has microseconds, a Date has milliseconds.
  const moment = new Date(Math.ceil(state.latestMoment));
  // Only this component and what is above it can change; what is below is as stored.
  if (!(await judgeAboveOnStoredPicture(db, state.changes, componentId, moment))) return false;
  await livePictureRepository.markCurrentKeepingMoment(db, state.changes);
  return true;
}

/**
 * What a what-if on one component needs, read from the live picture: the component and everything
 * above it (the only components whose status it can change) as a graph the status engine can judge
 * without loading what lies below them. Dependencies that leave the set and can impose something
 * carry the stored effective status of what they point to (`known`).
 */
export interface LiveWhatIfGraph {
  /** The services of the set, for the answer's `service { … }`. */
  services: Component[];
  graph: DependencyGraph;
  known: Map<string, Effective>;
  /** Whether a member is stale now: a what-if changes statuses, not how fresh the facts are. */
  staleNow(componentId: string): boolean;
  /**
   * When a member next turns stale, the one change time alone brings to the answer (epoch ms;
   * Infinity when no heartbeat deadline lies ahead).
   */
  nextStaleAt: number;
  /** The components whose stored rows the what-if read: the members and what they depend on outside them. */
  reads: string[];
}

/**
 * The what-if graph of `componentId` at moment `at`, or null when the stored picture does not
 * answer for `at` (the caller judges the facts). What lies above the component and the
 * dependencies that matter there come from the dependencies in force kept in memory, checked
 * against this snapshot's count of dependency writes; the members' stored rows and the outages
 * from the stored picture. `alongside` runs with the members' query, on the same ids (the
 * answer's deliveries, say). Read in one snapshot (the caller's transaction).
 */
export async function liveWhatIfGraph<T>(
  db: EntityManager, componentId: string, at: Date, alongside: (ids: string[]) => Promise<T>,
): Promise<(LiveWhatIfGraph & { alongside: T }) | null> {
  const state = await livePictureRepository.state(db);
  if (!isCurrent(state) || state.latestMoment > at.getTime()) return null;
  const dependencies = await dependenciesInForce(db, state.dependencyChanges);
  const ids = dependencies.above(componentId);
  // One after the other: a transaction is one connection.
  const members = await livePictureRepository.whatIfMembers(db, ids);
  const alongsideResult = await alongside(ids);
  const outside = dependencies.outsideOf(ids);
  const { inOutage } = await livePictureRepository.storedOutside(db, outside);
  const edges = dependencies.edgesThatMatter(ids, inOutage);
  const known = await storedOutagesOutside(db, edges, at);

  const staleFrom = new Map(members.map((m) => [m.fact.id, m.staleFrom]));
  let nextStaleAt = Infinity;
  for (const m of members) if (m.staleFrom !== null && m.staleFrom >= at.getTime() && m.staleFrom < nextStaleAt) nextStaleAt = m.staleFrom;
  return {
    nextStaleAt,
    reads: ids.concat(outside),
    alongside: alongsideResult,
    services: members.flatMap((m) => (m.service ? [m.service] : [])),
    graph: new DependencyGraph(members.map((m) => m.fact), edges),
    known,
    staleNow: (id) => {
      const from = staleFrom.get(id);
      return from !== undefined && from !== null && from < at.getTime();
    },
  };
}
