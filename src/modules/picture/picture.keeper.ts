import { isDeepStrictEqual } from 'node:util';
import type { EntityManager } from 'typeorm';
import type { Audience, ComponentKind, ComponentStatus, DependencyKind } from '../../common/vocabulary';
import type { NewStatusChange } from '../events';
import { observePictureUpkeep, observePictureUpkeepPhase, UpkeepPhase } from '../../platform/metrics';
import { factsRepository } from './facts.repository';
import { Contribution, PictureRow, pictureRepository, RowShape, RowToJudge, StoredStatusAndReport, storedStatusOfRow, WHOLE_ROWS } from './picture.repository';
import { affectsResidents, isOutage } from './status.rules';
import {
  ComponentFact, DependencyGraph, Effective, HeartbeatFact, inForce, KnownEffective, ReportFact, reportAt, StatusPicture, StatusTimeline,
} from './status.engine';

/**
 * The picture keeper: the one writer of the stored picture (`live_status`). Every write that can
 * change an effective status calls one of the functions below in its own transaction, after its
 * facts are written, and gets back the change set (the components whose effective status or
 * staleness changed) to hand to the events module.
 *
 * How a write is taken in:
 * 1. The components whose own facts changed (the roots) are judged first on their own rows. When
 *    none of them looks different to what depends on them, nothing above them can change: only
 *    their rows are written. A report that repeats the status is this case.
 * 2. Otherwise everything above the roots (their dependants, transitively: the members) is read and
 *    locked, in the order of their ids, so two writes that share a member take turns and two that
 *    share none run side by side. The rows are read again when another write changed them between
 *    the read and the lock, and the walk goes on from there if it gained dependants.
 * 3. The status engine judges the members on their own rows; what they depend on outside the
 *    members is taken from their stored `contributions`.
 * 4. `since`: a write dated after every fact that reached a member sets its `since` to the write's
 *    moment when its status changed, and leaves it otherwise. A write dated earlier (a report that
 *    arrives late) cannot know that way, and the history of that member is replayed.
 */

/** A dependency edge as a write adds or ends it. */
export interface EdgeChange {
  componentId: string;
  dependsOnId: string;
  kind: DependencyKind;
  redundancyGroup: string | null;
}

/** What a write did, for the keeper to take in. */
interface FactChange {
  /** What kind of write it is, for the upkeep metric (src/platform/metrics.ts). */
  kind: 'report' | 'dependencies' | 'component' | 'maintenance' | 'time';
  /** When the change takes effect (epoch ms): a report's observation, otherwise the write's clock. */
  moment: number;
  /** The write's clock (epoch ms): staleness is judged then. */
  now: number;
  /** Components whose own facts or dependencies changed. */
  roots: string[];
  /** Rows below the roots that the change also writes (the far end of an edge). */
  below?: string[];
  /** Applies the change to the rows read (all of them locked); it changes only the rows of `roots` and `below`. */
  apply(rows: Map<string, PictureRow>): void;
  /**
   * Whether the change may reach back before facts already known (a late report), judged on the
   * roots' rows: once as read, to plan, and again once they are locked, which decides.
   */
  late?: (roots: PictureRow[]) => boolean;
  /** Checked once the roots are locked: true when the change turns out to change nothing at all. */
  changesNothing?: (roots: PictureRow[]) => Promise<boolean>;
  /** False for a change that cannot alter any status (a heartbeat running out, an audience): `since` stays. */
  affectsStatus?: boolean;
  /** Checked on the roots once they are locked: false when another write took the change in first. */
  stillDue?: (roots: PictureRow[]) => boolean;
  /** Told the roots' rows as they stand once the change is taken in (written or not). */
  settled?: (roots: PictureRow[]) => void;
}

function contributionOf(edge: EdgeChange | Omit<EdgeChange, 'componentId'>, dependency: KnownEffective): Contribution | null {
  if (!isOutage(dependency.status) && edge.redundancyGroup === null && !dependency.stale) return null;
  return {
    dependsOnId: 'dependsOnId' in edge ? edge.dependsOnId : dependency.componentId,
    kind: edge.kind,
    redundancyGroup: edge.redundancyGroup,
    status: dependency.status,
    rootCause: dependency.rootCause,
    rootCauseReportId: dependency.rootCauseReportId,
    rootCauseMaintenanceId: dependency.rootCauseMaintenanceId,
    stale: dependency.stale,
  };
}

function knownOf(row: PictureRow): KnownEffective {
  return {
    componentId: row.componentId, status: row.status, rootCause: row.rootCause, rootCauseReportId: row.rootCauseReportId,
    rootCauseMaintenanceId: row.rootCauseMaintenanceId, stale: row.stale,
  };
}

/** What those depending on a component see of it. */
function outwardKey(e: KnownEffective): string {
  return `${e.status}|${e.stale}|${e.rootCauseReportId}|${e.rootCauseMaintenanceId}|${e.rootCause.join(',')}`;
}

/** The row's own facts as the engine reads them (a row holds only the newest report). */
function factOf(row: RowToJudge): ComponentFact {
  return {
    id: row.componentId, reports: row.report ? [row.report] : [], heartbeats: row.heartbeat ? [row.heartbeat] : [],
    retiredAt: null, maintenance: row.maintenance,
  };
}

const ALWAYS = Number.NEGATIVE_INFINITY;

/** Rows read in, walked, judged or compared between two turns of the event loop. */
const ROWS_PER_TURN = 100;

/**
 * Lets other requests run every ROWS_PER_TURN rows: a write above a hub judges tens of thousands of
 * rows, and reads and unrelated writes should not wait for all of them. An unrelated report makes
 * about ten round trips to PostgreSQL meanwhile and waits for a turn at each, so turns are short.
 */
async function takeTurns(rowsSoFar: number): Promise<void> {
  if (rowsSoFar > 0 && rowsSoFar % ROWS_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
}

/** Components a rebuild judges from one read of their history. */
const REBUILD_PAGE = 10_000;

/** Rows a rebuild judges before it writes them and lets them go. */
const REBUILD_BATCH = 1_000;

/** Judges `page` at `now` from the history of what it depends on and writes its rows; returns how many. */
async function rebuildPage(
  tx: EntityManager, page: readonly { id: string; kind: ComponentKind; audience: Audience | null }[], now: Date,
): Promise<number> {
  const at = now.getTime();
  const ids = page.map((component) => component.id);
  const graph = await factsRepository.history(tx, ids, now);
  const dependants = await factsRepository.dependantsAt(tx, ids, now);
  const timeline = new StatusTimeline(graph);
  const picture = timeline.at(at);
  let batch: PictureRow[] = [];
  let written = 0;
  for (const component of page) {
    const fact = graph.component(component.id);
    const contributions: Contribution[] = [];
    for (const edge of graph.edgesOf(component.id)) {
      if (!inForce(edge, at)) continue;
      const contribution = contributionOf(edge, picture.effective(edge.dependsOnId));
      if (contribution) contributions.push(contribution);
    }
    const moments = timeline.changeMoments(component.id, Number.NEGATIVE_INFINITY, at);
    const since = timeline.since(component.id, at);
    const promises = fact?.heartbeats.filter((h) => h.from <= at) ?? [];
    const row = judgedRow({
      componentId: component.id, revision: 0, kind: component.kind, audience: component.audience,
      report: reportAt(fact, at), heartbeat: promises.length > 0 ? promises[promises.length - 1] : null,
      maintenance: fact?.maintenance ?? [], nextMaintenanceAt: null,
      status: 'UNKNOWN', cause: null, rootCause: [], rootCauseReportId: null, rootCauseMaintenanceId: null, since: null, stale: false, ownStaleFrom: null,
      ownStale: false, outage: false, residentsAffected: false, lastFactAt: moments.length > 0 ? moments[moments.length - 1] : ALWAYS,
      contributions: [], dependants: dependants.get(component.id) ?? [],
    }, picture.judge(component.id), contributions, at, ALWAYS);
    row.since = since === null ? null : since.getTime();
    batch.push(row);
    if (batch.length === REBUILD_BATCH) {
      await pictureRepository.write(tx, batch);
      written += batch.length;
      batch = [];
      // The pictures of past moments are needed only for the `since` of the rows judged so far.
      timeline.forget(at);
    }
  }
  await pictureRepository.write(tx, batch);
  return written + batch.length;
}

/**
 * Judges `judged` (all of them rows in `rows`) at `now`: edges between them from the dependants
 * lists, edges leaving them from their contributions. `override` replaces components' own status
 * (a what-if).
 */
export async function judge(
  rows: ReadonlyMap<string, RowToJudge>, judged: ReadonlySet<string>, now: number, override?: ReadonlyMap<string, ComponentStatus>,
): Promise<{ picture: StatusPicture; graph: DependencyGraph }> {
  // Built a row at a time, taking turns: above a hub the graph has tens of thousands of components.
  const graph = new DependencyGraph();
  const known = new Map<string, KnownEffective>();
  let rowsSoFar = 0;
  for (const id of judged) {
    await takeTurns(++rowsSoFar);
    const row = rows.get(id)!;
    graph.addComponent(factOf(row));
    for (const c of row.contributions) {
      if (judged.has(c.dependsOnId)) continue;
      graph.addEdge({ componentId: id, dependsOnId: c.dependsOnId, kind: c.kind, redundancyGroup: c.redundancyGroup, from: ALWAYS, until: null });
      known.set(c.dependsOnId, {
        componentId: c.dependsOnId, status: c.status, rootCause: c.rootCause, rootCauseReportId: c.rootCauseReportId,
        rootCauseMaintenanceId: c.rootCauseMaintenanceId, stale: c.stale,
      });
    }
    for (const d of row.dependants) {
      if (judged.has(d.componentId)) {
        graph.addEdge({ componentId: d.componentId, dependsOnId: id, kind: d.kind, redundancyGroup: d.redundancyGroup, from: ALWAYS, until: null });
      }
    }
  }
  return { picture: new StatusPicture(graph, now, { known, override }), graph };
}

/** The row as judged, `since` still as before (see `rowsToReplay`). */
function judgedRow(row: PictureRow, effective: Effective, contributions: Contribution[], now: number, moment: number): PictureRow {
  // Windows that are over are history; of the rest, the next moment one begins or ends.
  const maintenance = row.maintenance.filter((w) => w.until > now);
  const boundaries = maintenance.flatMap((w) => [w.from, w.until]).filter((t) => t > now);
  return {
    ...row,
    maintenance,
    nextMaintenanceAt: boundaries.length > 0 ? Math.min(...boundaries) : null,
    status: effective.status,
    cause: effective.cause,
    rootCause: effective.rootCause,
    rootCauseReportId: effective.rootCauseReportId,
    rootCauseMaintenanceId: effective.rootCauseMaintenanceId,
    stale: effective.stale,
    ownStaleFrom: effective.ownStaleFrom,
    ownStale: effective.ownStaleFrom !== null && effective.ownStaleFrom < now,
    outage: isOutage(effective.status),
    residentsAffected: affectsResidents(row.audience, effective.status),
    lastFactAt: Math.max(row.lastFactAt, moment),
    contributions,
  };
}

/** Whether writing `a` over `b` would store nothing new (a row judged from `b` keeps its revision). */
function sameRow(a: PictureRow, b: PictureRow): boolean {
  return isDeepStrictEqual(a, b);
}

/**
 * Reads the rows above `ids` (them included), following `dependants`, into `rows`, without locking:
 * whole (WHOLE_ROWS) for a write, only what judging needs (ROWS_TO_JUDGE) for a what-if. Returns the ids read.
 */
export async function readAbove<R extends RowToJudge>(db: EntityManager, ids: Iterable<string>, rows: Map<string, R>, shape: RowShape<R>): Promise<string[]> {
  const found: string[] = [];
  const asked = new Set([...ids].filter((id) => !rows.has(id)));
  await pictureRepository.readFollowing(db, [...asked], shape, async (row) => {
    await takeTurns(found.length + 1);
    rows.set(row.componentId, row);
    found.push(row.componentId);
    const next: string[] = [];
    for (const d of row.dependants) {
      if (!rows.has(d.componentId) && !asked.has(d.componentId)) {
        asked.add(d.componentId);
        next.push(d.componentId);
      }
    }
    return next;
  });
  return found;
}

/** Whatever depends on any of `ids` among `rows`, transitively, them included. */
async function closureAbove(ids: Iterable<string>, rows: Map<string, PictureRow>): Promise<Set<string>> {
  const seen = new Set<string>();
  const stack = [...ids];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id) || !rows.has(id)) continue;
    seen.add(id);
    await takeTurns(seen.size);
    for (const d of rows.get(id)!.dependants) stack.push(d.componentId);
  }
  return seen;
}

/**
 * Locks the rows of `ids` (one statement, in id order) and reads again those another write changed
 * since they were read; a row that is gone (retired meanwhile) leaves `rows`. Returns the ids read again.
 */
async function lockAndRefresh(db: EntityManager, ids: readonly string[], rows: Map<string, PictureRow>): Promise<string[]> {
  const changed = await pictureRepository.lock(db, ids.map((id) => ({ componentId: id, revision: rows.get(id)!.revision })));
  const outdated: string[] = [];
  for (const [id, revision] of changed) {
    if (revision === null) rows.delete(id);
    else outdated.push(id);
  }
  for (const row of await pictureRepository.rows(db, outdated)) rows.set(row.componentId, row);
  return outdated;
}

function copyOf(rows: Map<string, PictureRow>, ids: Iterable<string>): Map<string, PictureRow> {
  const copy = new Map<string, PictureRow>();
  for (const id of ids) {
    const row = rows.get(id);
    if (row) copy.set(id, { ...row, contributions: [...row.contributions], dependants: [...row.dependants] });
  }
  return copy;
}

/**
 * `since`: the write's moment or unchanged where the write is news to a row, replayed where not. A
 * row that holds a fact at or after the write's moment is not news to it, nor is anything judged
 * above such a row: its status changed when that row's did, which the row's history tells (a report
 * observed before a dependency was added takes effect above it from then). Returns the members whose
 * `since` is replayed (replaySince); every other member's follows from its judgement (sinceOf). Known
 * before the members are judged, so each judged row is final at once.
 */
async function rowsToReplay(
  before: Map<string, PictureRow>, work: Map<string, PictureRow>, members: ReadonlySet<string>, change: FactChange, late: boolean,
): Promise<Set<string>> {
  const replayed = new Set<string>();
  if (change.affectsStatus === false) return replayed;
  const pending: string[] = [];
  for (const id of members) {
    if (late || change.moment <= before.get(id)!.lastFactAt) {
      replayed.add(id);
      pending.push(id);
    }
  }
  for (let rowsSoFar = 0; pending.length > 0;) {
    await takeTurns(++rowsSoFar);
    for (const dependant of work.get(pending.pop()!)!.dependants) {
      if (!members.has(dependant.componentId) || replayed.has(dependant.componentId)) continue;
      replayed.add(dependant.componentId);
      pending.push(dependant.componentId);
    }
  }
  return replayed;
}

/** `since` of a judged row the write is news to (not replayed): see rowsToReplay. */
function sinceOf(row: PictureRow, old: PictureRow, change: FactChange): number | null {
  if (change.affectsStatus === false) return old.since;
  return row.status === 'UNKNOWN' ? null : row.status !== old.status ? change.moment : old.since;
}

/** `since` of the replayed rows, from their history up to `at`. */
async function replaySince(db: EntityManager, after: Map<string, PictureRow>, replayed: ReadonlySet<string>, at: number): Promise<void> {
  if (replayed.size === 0) return;
  const timeline = new StatusTimeline(await factsRepository.history(db, [...replayed], new Date(at)));
  for (const id of replayed) {
    const since = timeline.since(id, at);
    after.get(id)!.since = since === null ? null : since.getTime();
  }
}

/**
 * Takes in one change of facts (see FactChange) and returns what changed for subscribers. Called in
 * the write's transaction, after the write's own statements.
 */
async function takeIn(db: EntityManager, change: FactChange): Promise<NewStatusChange[]> {
  const started = performance.now();
  try {
    return await takeInTimed(db, change);
  } finally {
    observePictureUpkeep(change.kind, (performance.now() - started) / 1000);
  }
}

/** Observes how long each phase of one write's upkeep took, when the next begins (observePictureUpkeepPhase). */
function phaseClock(kind: FactChange['kind']): (ended: UpkeepPhase) => void {
  let started = performance.now();
  return (ended) => {
    const now = performance.now();
    observePictureUpkeepPhase(kind, ended, (now - started) / 1000);
    started = now;
  };
}

async function takeInTimed(db: EntityManager, change: FactChange): Promise<NewStatusChange[]> {
  const phaseEnded = phaseClock(change.kind);
  // Read, as stored (`base`): the roots and the rows below them; with the change applied (`work`).
  const base = new Map<string, PictureRow>();
  const fixed = [...new Set([...change.roots, ...(change.below ?? [])])];
  const fixedIds = new Set(fixed);
  for (const row of await pictureRepository.rows(db, fixed)) base.set(row.componentId, row);
  for (const id of change.roots) if (!base.has(id)) throw new Error(`No stored picture for component ${id}`);

  // 1. The roots alone: when what depends on them sees no difference, nothing above them changes.
  const roots = new Set(change.roots);
  const rootRows = () => change.roots.map((id) => base.get(id)!);
  // Late too when a maintenance window of a row began or ended before the clock came to it (the row's
  // history changed then, not now), and when a dependency ended after the change's moment (what
  // depended on the roots then may depend on them no more, and its history is not in the roots'
  // rows). The plan goes by what the rows say; the locked rows and the ended dependencies decide
  // (a write that turns out late then reads and locks what it needs for that).
  const rowsSayLate = () => (change.late?.(rootRows()) ?? false)
    || [...base.values()].some((row) => row.nextMaintenanceAt !== null && row.nextMaintenanceAt <= change.now);
  let late = rowsSayLate();
  const rootsLookDifferent = async (rows: Map<string, PictureRow>) => {
    if (late) return true;
    const { picture } = await judge(rows, roots, change.now);
    return change.roots.some((id) => outwardKey(picture.judge(id)) !== outwardKey(rows.get(id)!));
  };
  // The change applies to the roots and the rows below them only (FactChange.apply): those are
  // copied, every other row is judged as stored.
  const applied = () => {
    const work = new Map(base);
    for (const [id, row] of copyOf(base, fixed)) work.set(id, row);
    change.apply(work);
    return work;
  };
  let reachesAbove = await rootsLookDifferent(applied());

  // 2. Read what is above the roots when it is reached; lock everything read, in id order. Rows
  // another write changed in between are read again, and what newly depends on them is read and
  // locked too, until nothing moves.
  const readWhatIsAbove = async () => {
    await readAbove(db, change.roots.flatMap((id) => base.get(id)!.dependants.map((d) => d.componentId)), base, WHOLE_ROWS);
    if (late) await readAbove(db, await factsRepository.dependantsSince(db, change.roots, new Date(change.moment)), base, WHOLE_ROWS);
  };
  const locked = new Set<string>();
  const lockWhatIsRead = async () => {
    let pending = [...base.keys()];
    while (pending.length > 0) {
      const refreshed = await lockAndRefresh(db, pending, base);
      for (const id of pending) locked.add(id);
      if (reachesAbove) await readAbove(db, refreshed.flatMap((id) => base.get(id)?.dependants.map((d) => d.componentId) ?? []), base, WHOLE_ROWS);
      pending = [...base.keys()].filter((id) => !locked.has(id));
    }
  };
  if (reachesAbove) await readWhatIsAbove();
  phaseEnded('read');
  await lockWhatIsRead();
  for (const id of change.roots) if (!base.has(id)) throw new Error(`Component ${id} left the picture while it was being written`);
  if (change.stillDue && !change.stillDue(rootRows())) {
    phaseEnded('lock');
    change.settled?.(rootRows());
    return [];
  }
  // What the locked rows say decides: another write may have taken in a newer fact meanwhile.
  if (change.changesNothing && (await change.changesNothing(rootRows()))) {
    phaseEnded('lock');
    change.settled?.(rootRows());
    return [];
  }
  const lateOnceLocked = rowsSayLate() || (await factsRepository.dependencyEndedSince(db, new Date(change.moment)));
  if (lateOnceLocked !== late) {
    late = lateOnceLocked;
    if (late) reachesAbove = false;
  }
  if (!reachesAbove && (await rootsLookDifferent(applied()))) {
    // Another write changed a root between the read and the lock, or made this one late.
    reachesAbove = true;
    await readWhatIsAbove();
    await lockWhatIsRead();
  }

  phaseEnded('lock');
  // 3. Judge the members (the roots, and when reached everything above them) on the locked rows.
  const members = !reachesAbove ? roots
    : late ? new Set([...base.keys()].filter((id) => roots.has(id) || !fixedIds.has(id)))
      : await closureAbove(change.roots, base);
  const work = applied();
  // Judged no earlier than any fact the locked rows hold: a write that waited for another judges
  // after it, even when its own clock was read first.
  let at = change.now;
  for (const row of base.values()) at = Math.max(at, row.lastFactAt, row.report?.observedAt.getTime() ?? Number.NEGATIVE_INFINITY);
  const { picture, graph } = await judge(work, members, at);
  phaseEnded('judge');
  // 4. since, and the rows written: a member whose since follows from its judgement is final once
  // judged, and when it changed, a row above the roots is written while the next are judged.
  const replayed = await rowsToReplay(base, work, members, change, late);
  const moment = change.affectsStatus === false ? ALWAYS : change.moment;
  const after = new Map<string, PictureRow>();
  const changed = new Set<string>();
  const judgements = pictureRepository.judgementsAsTheyCome(db);
  try {
    for (const id of members) {
      await takeTurns(after.size);
      const contributions: Contribution[] = [];
      for (const edge of graph.edgesOf(id)) {
        const contribution = contributionOf(edge, picture.effective(edge.dependsOnId));
        if (contribution) contributions.push(contribution);
      }
      const row = judgedRow(work.get(id)!, picture.judge(id), contributions, at, moment);
      after.set(id, row);
      if (replayed.has(id)) continue;
      row.since = sinceOf(row, base.get(id)!, change);
      if (sameRow(row, base.get(id)!)) continue;
      changed.add(id);
      if (!fixedIds.has(id)) await judgements.add(row);
    }
    await judgements.finish();
  } catch (error) {
    await judgements.abandon();
    throw error;
  }
  await replaySince(db, after, replayed, at);
  // Rows below the roots change only in their dependants (an edge added or ended).
  for (const id of change.below ?? []) if (!after.has(id) && work.has(id)) after.set(id, work.get(id)!);
  for (const id of [...replayed, ...(change.below ?? [])]) {
    const row = after.get(id);
    if (row && !sameRow(row, base.get(id)!)) changed.add(id);
  }
  const written = [...after.values()].filter((row) => changed.has(row.componentId));
  // Only the roots' rows and those below them change in their own facts or dependants
  // (FactChange.apply): of every other row, only what the judgement changed is written, those not
  // replayed already above.
  await pictureRepository.write(db, written.filter((row) => fixedIds.has(row.componentId)));
  await pictureRepository.writeJudgements(db, written.filter((row) => !fixedIds.has(row.componentId) && replayed.has(row.componentId)));

  phaseEnded('write');
  const changes = written.filter((row) => {
    const old = base.get(row.componentId)!;
    return old.status !== row.status || old.stale !== row.stale;
  });
  const deliveredTo = await factsRepository.municipalitiesOfServices(db, changes.filter((row) => row.kind === 'SERVICE').map((row) => row.componentId));
  const changeSet: NewStatusChange[] = [];
  for (const row of changes) {
    await takeTurns(changeSet.length);
    changeSet.push({
      componentId: row.componentId,
      municipalityIds: deliveredTo.get(row.componentId) ?? [],
      status: row.status,
      previousStatus: base.get(row.componentId)!.status,
      cause: row.cause,
      rootCause: row.rootCause,
      since: row.since === null ? null : new Date(row.since),
      stale: row.stale,
    });
  }
  phaseEnded('change set');
  change.settled?.(change.roots.map((id) => after.get(id) ?? base.get(id)!));
  return changeSet;
}

/** A moment at which time alone changes a stored row (picture.repository.ts, nextDue). */
interface DueEvent {
  componentId: string;
  due: number;
  kind: 'MAINTENANCE' | 'HEARTBEAT';
}

/**
 * Takes in one moment at which time alone changes a component: judged at that moment (or, where a
 * write has taken in a later fact meanwhile, then), so that each maintenance window begins and ends
 * in the picture and in `since` when it does, however late the clock comes to it. Until the clock
 * comes, a write that meets a row with a window due takes its history in as a late write does; what
 * depends on a row the clock has not come to yet is judged on that row as stored, and the clock's
 * turn brings it up to date.
 */
function takeInDue(db: EntityManager, event: DueEvent): Promise<NewStatusChange[]> {
  if (event.kind === 'MAINTENANCE') {
    return takeIn(db, {
      kind: 'time', moment: event.due, now: event.due, roots: [event.componentId], apply() {},
      stillDue: ([row]) => row.nextMaintenanceAt === event.due,
    });
  }
  return takeIn(db, {
    kind: 'time', moment: event.due, now: event.due, roots: [event.componentId], affectsStatus: false, apply() {},
    stillDue: ([row]) => !row.ownStale && row.ownStaleFrom !== null && row.ownStaleFrom + 1 === event.due,
  });
}

function newer(a: ReportFact, b: ReportFact | null): boolean {
  if (!b) return true;
  const difference = a.observedAt.getTime() - b.observedAt.getTime();
  return difference > 0 || (difference === 0 && a.seq > b.seq);
}

export const pictureKeeper = {
  /**
   * Locks the rows of `componentId`, of everything that depends on it, and of `dependsOnIds`, before
   * an edge from it to them is added: two edges that would close a cycle together share a locked row,
   * so the second waits for the first and then sees it.
   */
  async lockAround(db: EntityManager, componentId: string, dependsOnIds: readonly string[]): Promise<void> {
    const rows = new Map<string, PictureRow>();
    const above = new Set(await readAbove(db, [componentId], rows, WHOLE_ROWS));
    for (const row of await pictureRepository.rows(db, dependsOnIds)) rows.set(row.componentId, row);
    let pending = [...rows.keys()];
    const locked = new Set<string>();
    while (pending.length > 0) {
      const refreshed = await lockAndRefresh(db, pending, rows);
      for (const id of pending) locked.add(id);
      const grown = await readAbove(db, refreshed.filter((id) => above.has(id)).flatMap((id) => rows.get(id)?.dependants.map((d) => d.componentId) ?? []), rows, WHOLE_ROWS);
      for (const id of grown) above.add(id);
      pending = [...rows.keys()].filter((id) => !locked.has(id));
    }
  },

  /**
   * A status report was stored (in this transaction). A report that is news (observed after every
   * fact that reached the component) is taken in at its moment; one that arrives late is taken in
   * with its history replayed, unless it says what the report before it said and a newer one
   * exists, which leaves every answer as it was.
   */
  async reportStored(db: EntityManager, report: ReportFact, now: Date): Promise<{ changes: NewStatusChange[]; component: StoredStatusAndReport }> {
    let component: StoredStatusAndReport | null = null;
    const changes = await takeIn(db, {
      kind: 'report',
      moment: report.observedAt.getTime(),
      now: now.getTime(),
      roots: [report.componentId],
      late: ([row]) => !newer(report, row.report) || report.observedAt.getTime() <= row.lastFactAt,
      changesNothing: async ([row]) => {
        if (newer(report, row.report)) return false;
        const previous = await factsRepository.reportBefore(db, report);
        return previous !== null && previous.status === report.status && previous.cause === report.cause;
      },
      apply(locked) {
        const row = locked.get(report.componentId)!;
        if (newer(report, row.report)) row.report = report;
      },
      settled: ([row]) => {
        component = storedStatusOfRow(row);
      },
    });
    // The component's row as this write leaves it, for the mutation's payload: no read back.
    return { changes, component: component! };
  },

  /**
   * Dependencies were added or ended, all of them leaving `componentId`, at `moment` (default: now;
   * earlier only when facts are loaded around the API, as test data and bulk loads are).
   */
  async dependenciesChanged(db: EntityManager, componentId: string, added: EdgeChange[], ended: EdgeChange[], now: Date, moment: Date = now): Promise<NewStatusChange[]> {
    const below = [...new Set([...added, ...ended].map((edge) => edge.dependsOnId))];
    return takeIn(db, {
      kind: 'dependencies',
      moment: moment.getTime(),
      now: now.getTime(),
      late: () => moment.getTime() < now.getTime(),
      roots: [componentId],
      below,
      apply(locked) {
        const row = locked.get(componentId)!;
        for (const edge of ended) {
          row.contributions = row.contributions.filter((c) => c.dependsOnId !== edge.dependsOnId);
          const target = locked.get(edge.dependsOnId);
          if (target) target.dependants = target.dependants.filter((d) => d.componentId !== componentId);
        }
        for (const edge of added) {
          const target = locked.get(edge.dependsOnId)!;
          target.dependants = [...target.dependants, { componentId, kind: edge.kind, redundancyGroup: edge.redundancyGroup }];
          const contribution = contributionOf(edge, knownOf(target));
          if (contribution) row.contributions = [...row.contributions, contribution];
        }
      },
    });
  },

  /** A component was registered: UNKNOWN, depending on nothing, nobody depending on it. */
  async componentRegistered(db: EntityManager, component: { id: string; kind: ComponentKind; audience: Audience | null; heartbeat: HeartbeatFact | null }): Promise<void> {
    await pictureRepository.write(db, [{
      componentId: component.id, revision: 0, kind: component.kind, audience: component.audience, report: null,
      heartbeat: component.heartbeat, maintenance: [], nextMaintenanceAt: null,
      status: 'UNKNOWN', cause: null, rootCause: [], rootCauseReportId: null, rootCauseMaintenanceId: null, since: null,
      stale: false, ownStaleFrom: null, ownStale: false, outage: false, residentsAffected: false, lastFactAt: ALWAYS,
      contributions: [], dependants: [],
    }]);
  },

  /** A component's audience or heartbeat promise changed at `now`. */
  async componentChanged(db: EntityManager, componentId: string, change: { audience?: Audience | null; heartbeat?: HeartbeatFact | null }, now: Date): Promise<NewStatusChange[]> {
    return takeIn(db, {
      kind: 'component',
      moment: now.getTime(),
      now: now.getTime(),
      roots: [componentId],
      affectsStatus: false,
      apply(locked) {
        const row = locked.get(componentId)!;
        if (change.audience !== undefined) row.audience = change.audience;
        if (change.heartbeat !== undefined) row.heartbeat = change.heartbeat;
      },
    });
  },

  /**
   * A component was retired at `now`: every dependency into and out of it ended then (`ended`, already
   * written). Its dependants are judged without it; its row goes.
   */
  async componentRetired(db: EntityManager, componentId: string, ended: EdgeChange[], now: Date): Promise<NewStatusChange[]> {
    const changes: NewStatusChange[] = [];
    const byDependant = new Map<string, EdgeChange[]>();
    for (const edge of ended) {
      const list = byDependant.get(edge.componentId) ?? [];
      list.push(edge);
      byDependant.set(edge.componentId, list);
    }
    for (const [dependantId, edges] of byDependant) {
      changes.push(...(await pictureKeeper.dependenciesChanged(db, dependantId, [], edges, now)));
    }
    await pictureRepository.remove(db, [componentId]);
    return changes.filter((change) => change.componentId !== componentId);
  },

  /**
   * The announced maintenance of `componentIds` changed (scheduled, extended, shortened, cancelled):
   * their windows are read again and they are judged again, from now.
   */
  async maintenanceChanged(db: EntityManager, componentIds: readonly string[], now: Date): Promise<NewStatusChange[]> {
    const windows = await factsRepository.maintenanceNotOver(db, componentIds, now);
    return takeIn(db, {
      kind: 'maintenance',
      moment: now.getTime(),
      now: now.getTime(),
      roots: [...componentIds],
      apply(locked) {
        for (const id of componentIds) {
          const row = locked.get(id);
          if (row) row.maintenance = windows.get(id) ?? [];
        }
      },
    });
  },

  /**
   * Time: takes in the earliest moment up to `now` at which time alone changed the picture (a
   * maintenance window began or ended, a heartbeat ran out), judged at that moment. Returns null when
   * nothing is due. For the picture's clock, one moment per transaction.
   */
  async takeInNextDue(db: EntityManager, now: Date): Promise<NewStatusChange[] | null> {
    const event = await pictureRepository.nextDue(db, now);
    return event ? takeInDue(db, event) : null;
  },

  /**
   * Judges every component from the facts and replaces the stored picture with the result. For a
   * database whose facts were written around the keeper (a new database, a bulk load, a restore, SQL
   * by hand). Writers wait meanwhile (the table is locked against them); readers read the old picture
   * until the new one commits.
   */
  async rebuild(db: EntityManager, now: Date, options: { pageSize?: number } = {}): Promise<number> {
    const pageSize = options.pageSize ?? REBUILD_PAGE;
    return db.transaction(async (tx) => {
      await tx.query('LOCK TABLE live_status IN EXCLUSIVE MODE');
      await pictureRepository.removeAll(tx);
      const components = await factsRepository.components(tx);
      let written = 0;
      // A page of components at a time, judged from their own history (what they depend on, down to
      // the last edge), so the country's facts are never all in memory at once.
      for (let start = 0; start < components.length; start += pageSize) {
        const page = components.slice(start, start + pageSize);
        written += await rebuildPage(tx, page, now);
      }
      await pictureRepository.markBuilt(tx, written);
      await pictureRepository.analyse(tx);
      return written;
    });
  },
};
