import type { ComponentStatus, DependencyKind, ReportedStatus, StatusCause } from '../../common/vocabulary';
import { imposedBy, isOutage, isWorse, severity } from './status.rules';

/**
 * The status engine: the only code that judges effective status (domain.md, "Effective status").
 * It is pure: it judges the facts it is given, at the moment it is asked about, and every fact
 * carries the period it is in force, so a question about a past moment is answered from the
 * dependencies, heartbeats and retirements in force then, whatever was edited since.
 */

/** One status report, as the engine needs it. */
export interface ReportFact {
  id: string;
  componentId: string;
  status: ReportedStatus;
  cause: StatusCause | null;
  observedAt: Date;
  /** Arrival order; breaks ties between reports observed at the same moment. */
  seq: number;
}

/** "componentId depends on dependsOnId", in force from `from` until `until` (epoch ms; null: still). */
export interface EdgeFact {
  componentId: string;
  dependsOnId: string;
  kind: DependencyKind;
  redundancyGroup: string | null;
  from: number;
  until: number | null;
}

/** A heartbeat promise in force from `from` (epoch ms) until the next one; `seconds` null: none. */
export interface HeartbeatFact {
  seconds: number | null;
  from: number;
}

/** An announced maintenance window: the component is UNDER_MAINTENANCE in [from, until) unless its own report is worse. */
export interface MaintenanceFact {
  id: string;
  from: number;
  until: number;
}

export interface ComponentFact {
  id: string;
  /** Announced maintenance windows; absent: none. */
  maintenance?: MaintenanceFact[];
  /** Sorted by (observedAt, seq), oldest first. */
  reports: ReportFact[];
  /** Sorted by `from`; empty when its operator never promised a heartbeat. */
  heartbeats: HeartbeatFact[];
  /** From this moment (epoch ms) on the component is gone: UNKNOWN, depending on nothing. */
  retiredAt: number | null;
}

export function inForce(edge: EdgeFact, at: number): boolean {
  return edge.from <= at && (edge.until === null || at < edge.until);
}

/** In force at some moment of [from, to]. */
function inForceDuring(edge: EdgeFact, from: number, to: number): boolean {
  return edge.from <= to && (edge.until === null || edge.until > from);
}

/**
 * The part of the dependency graph a question needs: some components, the edges leaving them
 * (each with its period), and the facts known about them. Components without a fact count as
 * never reported.
 */
export class DependencyGraph {
  private readonly components = new Map<string, ComponentFact>();
  private readonly edgesFrom = new Map<string, EdgeFact[]>();
  /** Components whose edge list is in order (see edgesOf). */
  private readonly ordered = new Set<string>();

  constructor(components: Iterable<ComponentFact> = [], edges: Iterable<EdgeFact> = []) {
    for (const component of components) this.addComponent(component);
    for (const edge of edges) this.addEdge(edge);
  }

  /**
   * Adds a component's facts. A graph is built (here or in the constructor) before it is asked
   * anything; a caller judging tens of thousands of components builds it a part at a time.
   */
  addComponent(component: ComponentFact): void {
    this.components.set(component.id, component);
  }

  /** Adds an edge; as addComponent, before the graph is asked anything. */
  addEdge(edge: EdgeFact): void {
    const list = this.edgesFrom.get(edge.componentId);
    if (list) list.push(edge);
    else this.edgesFrom.set(edge.componentId, [edge]);
  }

  component(id: string): ComponentFact | undefined {
    return this.components.get(id);
  }

  componentIds(): IterableIterator<string> {
    return this.components.keys();
  }

  /**
   * Every edge leaving `id`, whatever its period, sorted by the component it points to: a stable
   * order, so ties between equally bad dependencies resolve the same way on every read. Sorted when
   * first asked for, so that building a graph of tens of thousands of components is one short pass.
   */
  edgesOf(id: string): readonly EdgeFact[] {
    const list = this.edgesFrom.get(id);
    if (!list) return [];
    if (!this.ordered.has(id)) {
      list.sort((a, b) => (a.dependsOnId < b.dependsOnId ? -1 : a.dependsOnId > b.dependsOnId ? 1 : a.from - b.from));
      this.ordered.add(id);
    }
    return list;
  }

  /** Every component reachable from `ids` through edges in force at some moment of [from, to], them included. */
  closureOf(ids: readonly string[], from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY): string[] {
    const seen = new Set<string>(ids);
    const stack = [...seen];
    while (stack.length > 0) {
      const current = stack.pop()!;
      for (const edge of this.edgesOf(current)) {
        if (!seen.has(edge.dependsOnId) && inForceDuring(edge, from, to)) {
          seen.add(edge.dependsOnId);
          stack.push(edge.dependsOnId);
        }
      }
    }
    return [...seen];
  }
}

/** The newest report observed at or before `at`, or null. Reports are sorted oldest first. */
export function reportAt(component: ComponentFact | undefined, at: number): ReportFact | null {
  if (!component) return null;
  const reports = component.reports;
  let low = 0;
  let high = reports.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (reports[middle].observedAt.getTime() <= at) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found === -1 ? null : reports[found];
}

/**
 * When the component's own heartbeat runs out (epoch ms) under the promise in force at `at`: its
 * newest report plus the promised interval, and never before the promise itself began. Null without
 * a promise or a report.
 */
export function heartbeatDeadline(fact: ComponentFact | undefined, own: ReportFact | null, at: number): number | null {
  if (!fact || !own) return null;
  let promise: HeartbeatFact | null = null;
  for (const heartbeat of fact.heartbeats) {
    if (heartbeat.from > at) break;
    promise = heartbeat;
  }
  if (!promise || promise.seconds === null) return null;
  return Math.max(own.observedAt.getTime() + promise.seconds * 1000, promise.from);
}

export interface Effective {
  componentId: string;
  status: ComponentStatus;
  cause: StatusCause | null;
  /** Component ids: this one first, the root cause last. Empty when operational or unknown. */
  rootCause: string[];
  /** The report at the root that explains the status. */
  rootCauseReportId: string | null;
  /** The maintenance window at the root that explains the status (instead of a report). */
  rootCauseMaintenanceId: string | null;
  /** When this component's own heartbeat runs (or ran) out, given its newest report; null: never. */
  ownStaleFrom: number | null;
  /** This component or anything it depends on has been silent longer than its heartbeat. */
  stale: boolean;
}

/** What a dependency outside the judged graph is known to be (the stored picture's row). */
export type KnownEffective = Pick<Effective, 'componentId' | 'status' | 'rootCause' | 'rootCauseReportId' | 'rootCauseMaintenanceId' | 'stale'>;

export interface PictureOptions {
  /** Replaces these components' own status (the what-if of `impact`). */
  override?: ReadonlyMap<string, ComponentStatus>;
  /** The effective status of components outside the graph that its edges point to. */
  known?: ReadonlyMap<string, KnownEffective>;
}

/**
 * The effective status of every component of a graph at one moment, computed on demand and
 * remembered.
 */
export class StatusPicture {
  /** Judged components; IN_PROGRESS while a component's dependencies are being judged. */
  private readonly memo = new Map<string, Effective | typeof IN_PROGRESS>();
  readonly at: number;

  constructor(private readonly graph: DependencyGraph, at: Date | number, private readonly options: PictureOptions = {}) {
    this.at = typeof at === 'number' ? at : at.getTime();
  }

  effective(componentId: string): Effective | KnownEffective {
    const remembered = this.memo.get(componentId);
    if (remembered === IN_PROGRESS) {
      // The graph is kept acyclic on write; should an old cycle exist, it imposes nothing rather than looping.
      return quiet(componentId);
    }
    if (remembered) return remembered;
    if (!this.graph.component(componentId)) {
      const known = this.options.known?.get(componentId);
      if (known) return known;
    }
    return this.judge(componentId);
  }

  /** A component of the graph itself, judged (never a known one). */
  judge(componentId: string): Effective {
    const remembered = this.memo.get(componentId);
    if (remembered && remembered !== IN_PROGRESS) return remembered;
    this.memo.set(componentId, IN_PROGRESS);
    const result = this.evaluate(componentId);
    this.memo.set(componentId, result);
    return result;
  }

  private evaluate(componentId: string): Effective {
    const fact = this.graph.component(componentId);
    if (fact && fact.retiredAt !== null && fact.retiredAt <= this.at) return quiet(componentId);
    const own = reportAt(fact, this.at);
    const ownStaleFrom = heartbeatDeadline(fact, own, this.at);
    const overridden = this.options.override?.get(componentId);

    // Made here and changed in place until returned: no copy per better dependency (33,000 components above a hub).
    let best: Effective;
    const window = fact?.maintenance?.find((w) => w.from <= this.at && this.at < w.until) ?? null;
    if (overridden !== undefined) {
      best = {
        componentId, status: overridden, cause: null, rootCause: isOutage(overridden) ? [componentId] : [],
        rootCauseReportId: null, rootCauseMaintenanceId: null, ownStaleFrom, stale: false,
      };
    } else if (window && !isWorse(own?.status ?? 'UNKNOWN', 'UNDER_MAINTENANCE')) {
      // Announced maintenance, unless the component's own report says something worse.
      best = {
        componentId, status: 'UNDER_MAINTENANCE', cause: 'MAINTENANCE', rootCause: [componentId],
        rootCauseReportId: null, rootCauseMaintenanceId: window.id, ownStaleFrom, stale: false,
      };
    } else {
      const status: ComponentStatus = own ? own.status : 'UNKNOWN';
      best = {
        componentId, status, cause: own?.cause ?? null, rootCause: isOutage(status) ? [componentId] : [],
        rootCauseReportId: isOutage(status) ? own!.id : null, rootCauseMaintenanceId: null, ownStaleFrom, stale: false,
      };
    }
    best.stale = ownStaleFrom !== null && ownStaleFrom < this.at;
    // An operator who says "down because of a dependency" is better served by the dependency's path.
    const ownDefersToDependencies = best.cause === 'DEPENDENCY' || best.cause === null;

    // Made only for components that have redundancy groups (a hub's dependants number 30,000).
    let groups: Map<string, { kind: DependencyKind; members: (Effective | KnownEffective)[] }> | null = null;
    for (const edge of this.graph.edgesOf(componentId)) {
      if (!inForce(edge, this.at)) continue;
      const dependency = this.effective(edge.dependsOnId);
      if (dependency.stale) best.stale = true;
      if (edge.redundancyGroup === null) {
        considerImposed(best, imposedBy(edge.kind, dependency.status), dependency, ownDefersToDependencies);
        continue;
      }
      groups ??= new Map();
      const group = groups.get(edge.redundancyGroup);
      if (group) {
        group.members.push(dependency);
        if (edge.kind === 'REQUIRED') group.kind = 'REQUIRED';
      } else {
        groups.set(edge.redundancyGroup, { kind: edge.kind, members: [dependency] });
      }
    }
    // A redundancy group is down only when all its members are; then it imposes its best member's status.
    for (const group of groups?.values() ?? []) {
      if (!group.members.every((member) => isOutage(member.status))) continue;
      const bestMember = group.members.reduce((a, b) => (severity(b.status) < severity(a.status) ? b : a));
      considerImposed(best, imposedBy(group.kind, bestMember.status), bestMember, ownDefersToDependencies);
    }
    return best;
  }
}

/** Marks a component in `StatusPicture`'s memo while its dependencies are judged. */
const IN_PROGRESS = Symbol('in progress');

function quiet(componentId: string): Effective {
  return { componentId, status: 'UNKNOWN', cause: null, rootCause: [], rootCauseReportId: null, rootCauseMaintenanceId: null, ownStaleFrom: null, stale: false };
}

/**
 * Takes what a dependency imposes (`status`, through `through`) into `best`, the component's
 * judgement so far, when it is worse, or as bad and the component's own report defers to its
 * dependencies. A function of its own, not a closure per component: 33,000 above a hub.
 */
function considerImposed(best: Effective, status: ComponentStatus | null, through: KnownEffective, ownDefersToDependencies: boolean): void {
  if (status === null) return;
  const worse = isWorse(status, best.status);
  const tieWonByDependency = status === best.status && ownDefersToDependencies && best.rootCause.length <= 1;
  if (worse || tieWonByDependency) {
    best.status = status;
    best.cause = 'DEPENDENCY';
    best.rootCause = [best.componentId, ...through.rootCause];
    best.rootCauseReportId = through.rootCauseReportId;
    best.rootCauseMaintenanceId = through.rootCauseMaintenanceId;
  }
}

/**
 * Answers questions about time for one graph: the picture at any moment, when a component's
 * effective status began, and its uptime over a window. Pictures are remembered per moment, so
 * many services sharing gateways cost one evaluation per moment.
 */
export class StatusTimeline {
  private readonly pictures = new Map<number, StatusPicture>();

  constructor(private readonly graph: DependencyGraph) {}

  at(moment: Date | number): StatusPicture {
    const key = typeof moment === 'number' ? moment : moment.getTime();
    let picture = this.pictures.get(key);
    if (!picture) {
      picture = new StatusPicture(this.graph, key);
      this.pictures.set(key, picture);
    }
    return picture;
  }

  /** Forgets the pictures judged so far but the one at `keep` (a long replay keeps only what it still needs). */
  forget(keep?: number): void {
    for (const moment of [...this.pictures.keys()]) if (moment !== keep) this.pictures.delete(moment);
  }

  /**
   * Moments in (from, to] at which something in the component's closure could change its status:
   * a report observed, a dependency beginning or ending, a retirement. Oldest first.
   */
  changeMoments(componentId: string, from: number, to: number): number[] {
    const moments = new Set<number>();
    const add = (t: number) => {
      if (t > from && t <= to) moments.add(t);
    };
    for (const id of this.graph.closureOf([componentId], from, to)) {
      const fact = this.graph.component(id);
      for (const report of fact?.reports ?? []) add(report.observedAt.getTime());
      if (fact?.retiredAt !== null && fact?.retiredAt !== undefined) add(fact.retiredAt);
      for (const window of fact?.maintenance ?? []) {
        add(window.from);
        add(window.until);
      }
      for (const edge of this.graph.edgesOf(id)) {
        add(edge.from);
        if (edge.until !== null) add(edge.until);
      }
    }
    return [...moments].sort((a, b) => a - b);
  }

  /** When the effective status at `asOf` began; null when the component was never known. */
  since(componentId: string, asOf: Date | number): Date | null {
    const at = typeof asOf === 'number' ? asOf : asOf.getTime();
    const current = this.at(at).judge(componentId).status;
    if (current === 'UNKNOWN') return null;
    const moments = this.changeMoments(componentId, Number.NEGATIVE_INFINITY, at);
    let since: number | null = null;
    for (let i = moments.length - 1; i >= 0; i--) {
      const before = this.at(moments[i] - 1).judge(componentId).status;
      since = moments[i];
      if (before !== current) break;
    }
    return since === null ? null : new Date(since);
  }

  /**
   * Share of [from, min(to, asOf)] during which the component was OPERATIONAL, counting only time
   * when its status was known. Null when no time in the window was known. Each part of the window
   * is judged on the facts in force during it.
   */
  uptime(componentId: string, from: Date, to: Date, asOf: Date): number | null {
    const start = from.getTime();
    const end = Math.min(to.getTime(), asOf.getTime());
    if (end <= start) return null;
    const boundaries = [start, ...this.changeMoments(componentId, start, end), end];
    let known = 0;
    let operational = 0;
    for (let i = 0; i < boundaries.length - 1; i++) {
      const length = boundaries[i + 1] - boundaries[i];
      if (length <= 0) continue;
      const status = this.at(boundaries[i]).judge(componentId).status;
      if (status === 'UNKNOWN') continue;
      known += length;
      if (status === 'OPERATIONAL') operational += length;
    }
    return known === 0 ? null : operational / known;
  }
}
