import { imposedBy, isOutage, isWorse, severity } from './status.rules';
import type { ComponentStatus, StatusCause } from './status.rules';

/** One status report, as the engine needs it. */
export interface ReportFact {
  id: string;
  componentId: string;
  status: Exclude<ComponentStatus, 'UNKNOWN'>;
  cause: StatusCause | null;
  observedAt: Date;
  /** Arrival order; breaks ties between reports observed at the same moment. */
  seq: number;
}

export interface EdgeFact {
  componentId: string;
  dependsOnId: string;
  kind: 'REQUIRED' | 'OPTIONAL';
  redundancyGroup: string | null;
}

export interface ComponentFact {
  id: string;
  heartbeatSeconds: number | null;
  /** Sorted by (observedAt, seq), oldest first. */
  reports: ReportFact[];
  /**
   * When the graph was cut out of a larger one (a report judged on top of the live picture): the
   * earliest heartbeat deadline (epoch ms) among this component's dependencies left outside the
   * graph, which still count for when it goes stale. Absent or null: none.
   */
  staleFromOutside?: number | null;
}

/**
 * The part of the dependency graph a question needs: some components, the edges leaving them,
 * and the status reports known for them. Components without a fact count as never reported.
 */
export class DependencyGraph {
  private readonly components = new Map<string, ComponentFact>();
  private readonly edgesFrom = new Map<string, EdgeFact[]>();

  constructor(components: Iterable<ComponentFact>, edges: Iterable<EdgeFact>) {
    for (const component of components) this.components.set(component.id, component);
    for (const edge of edges) {
      const list = this.edgesFrom.get(edge.componentId);
      if (list) list.push(edge);
      else this.edgesFrom.set(edge.componentId, [edge]);
    }
    // A stable order, so ties between equally bad dependencies resolve the same way on every read.
    for (const list of this.edgesFrom.values()) sortByDependency(list);
  }

  component(id: string): ComponentFact | undefined {
    return this.components.get(id);
  }

  dependenciesOf(id: string): readonly EdgeFact[] {
    return this.edgesFrom.get(id) ?? [];
  }

  /** Every component reachable from `id` through dependencies, `id` included. */
  closureOf(id: string): string[] {
    return this.closureOfAll([id]);
  }

  /** Every component reachable from any of `ids`, them included: one walk, however much the closures overlap. */
  closureOfAll(ids: readonly string[]): string[] {
    const seen = new Set<string>(ids);
    const stack = [...seen];
    while (stack.length > 0) {
      const current = stack.pop()!;
      for (const edge of this.dependenciesOf(current)) {
        if (!seen.has(edge.dependsOnId)) {
          seen.add(edge.dependsOnId);
          stack.push(edge.dependsOnId);
        }
      }
    }
    return [...seen];
  }
}

/**
 * Sorts one component's dependencies by the id they point to, in place. A component has a handful;
 * sorted by insertion they cost no allocation, which Array.prototype.sort's does at 33,000 lists.
 */
function sortByDependency(list: EdgeFact[]): void {
  if (list.length > 16) {
    list.sort((a, b) => (a.dependsOnId < b.dependsOnId ? -1 : a.dependsOnId > b.dependsOnId ? 1 : 0));
    return;
  }
  for (let i = 1; i < list.length; i++) {
    const edge = list[i];
    let j = i - 1;
    while (j >= 0 && list[j].dependsOnId > edge.dependsOnId) {
      list[j + 1] = list[j];
      j--;
    }
    list[j + 1] = edge;
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

export interface Effective {
  componentId: string;
  status: ComponentStatus;
  cause: StatusCause | null;
  /** Component ids: this one first, the root cause last. Empty when operational or unknown. */
  rootCause: string[];
  /** The report at the root that explains the status. */
  rootCauseReport: ReportFact | null;
  /** This component's own heartbeat has run out. */
  ownStaleSince: Date | null;
  /** This component or anything it depends on is stale. */
  stale: boolean;
  /**
   * When this component or anything it depends on goes (or went) stale, given the reports known:
   * the earliest heartbeat deadline in its closure; null when none has a heartbeat. `stale` is
   * `staleFrom < the picture's moment`. Kept in the live picture, where the moment is not yet known.
   */
  staleFrom: Date | null;
}

/**
 * The effective status of every component of a graph at one moment, computed on demand and
 * remembered. `override` replaces one component's own status (the what-if of `impact`); `known`
 * gives the effective status of components outside the graph that the graph's edges point to
 * (taken from the live picture, so a what-if need not load what lies below them).
 */
export class StatusPicture {
  /** Judged components; IN_PROGRESS while a component's dependencies are being judged. */
  private readonly memo = new Map<string, Effective | typeof IN_PROGRESS>();
  private readonly at: number;

  constructor(
    private readonly graph: DependencyGraph,
    at: Date,
    private readonly override?: { componentId: string; status: ComponentStatus },
    private readonly known?: ReadonlyMap<string, Effective>,
  ) {
    this.at = at.getTime();
  }

  effective(componentId: string): Effective {
    const remembered = this.memo.get(componentId) ?? this.known?.get(componentId);
    if (remembered === IN_PROGRESS) {
      // The graph is kept acyclic on write; should an old cycle exist, it imposes nothing rather than looping.
      return { componentId, status: 'UNKNOWN', cause: null, rootCause: [], rootCauseReport: null, ownStaleSince: null, stale: false, staleFrom: null };
    }
    if (remembered) return remembered;
    this.memo.set(componentId, IN_PROGRESS);
    const result = this.evaluate(componentId);
    this.memo.set(componentId, result);
    return result;
  }

  private evaluate(componentId: string): Effective {
    const fact = this.graph.component(componentId);
    const own = reportAt(fact, this.at);
    const ownDue = heartbeatDue(fact, own);
    const ownStaleSince = ownDue !== null && ownDue < this.at ? new Date(ownDue) : null;

    // Made here and changed in place until returned: no copy per better dependency (33,000 components above a hub).
    let best: Effective;
    if (this.override?.componentId === componentId) {
      const status = this.override.status;
      best = {
        componentId, status, cause: null,
        rootCause: isOutage(status) ? [componentId] : [], rootCauseReport: null, ownStaleSince: null, stale: false, staleFrom: null,
      };
    } else {
      const status: ComponentStatus = own ? own.status : 'UNKNOWN';
      best = {
        componentId, status, cause: own?.cause ?? null,
        rootCause: isOutage(status) ? [componentId] : [], rootCauseReport: isOutage(status) ? own : null,
        ownStaleSince, stale: ownStaleSince !== null, staleFrom: ownDue === null ? null : new Date(ownDue),
      };
    }
    // An operator who says "down because of a dependency" is better served by the dependency's path.
    const ownDefersToDependencies = best.cause === 'DEPENDENCY' || best.cause === null;
    let anyDependencyStale = false;
    let staleFrom = best.staleFrom?.getTime() ?? null;
    const outsideDeadline = fact?.staleFromOutside ?? null;
    if (outsideDeadline !== null) {
      anyDependencyStale = outsideDeadline < this.at;
      if (staleFrom === null || outsideDeadline < staleFrom) staleFrom = outsideDeadline;
    }

    // Made only for components that have redundancy groups (a hub's dependants number 30,000).
    let groups: Map<string, { kind: 'REQUIRED' | 'OPTIONAL'; members: Effective[] }> | null = null;
    for (const edge of this.graph.dependenciesOf(componentId)) {
      const dependency = this.effective(edge.dependsOnId);
      anyDependencyStale ||= dependency.stale;
      if (dependency.staleFrom !== null && (staleFrom === null || dependency.staleFrom.getTime() < staleFrom)) staleFrom = dependency.staleFrom.getTime();
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

    best.stale ||= anyDependencyStale;
    if (staleFrom !== (best.staleFrom?.getTime() ?? null)) best.staleFrom = staleFrom === null ? null : new Date(staleFrom);
    return best;
  }
}

/** Marks a component in `StatusPicture`'s memo while its dependencies are judged. */
const IN_PROGRESS = Symbol('in progress');

/**
 * Takes what a dependency imposes (`status`, through `through`) into `best`, the component's
 * judgement so far, when it is worse, or as bad and the component's own report defers to its
 * dependencies. A function of its own, not a closure per component: 33,000 above a hub.
 */
function considerImposed(best: Effective, status: ComponentStatus | null, through: Effective, ownDefersToDependencies: boolean): void {
  if (status === null) return;
  const worse = isWorse(status, best.status);
  const tieWonByDependency = status === best.status && ownDefersToDependencies && best.rootCause.length <= 1;
  if (worse || tieWonByDependency) {
    best.status = status;
    best.cause = 'DEPENDENCY';
    best.rootCause = [best.componentId, ...through.rootCause];
    best.rootCauseReport = through.rootCauseReport;
  }
}

/** When the component's own heartbeat runs out (ms), whatever the moment; null without a heartbeat or a report. */
function heartbeatDue(fact: ComponentFact | undefined, own: ReportFact | null): number | null {
  if (!fact?.heartbeatSeconds || !own) return null;
  return own.observedAt.getTime() + fact.heartbeatSeconds * 1000;
}

/**
 * Answers questions about time for one graph: the picture at any moment, when a component's
 * effective status began, and its uptime over a window. Pictures are remembered per moment, so
 * many services sharing gateways cost one evaluation per moment.
 */
export class StatusTimeline {
  private readonly pictures = new Map<number, StatusPicture>();

  constructor(private readonly graph: DependencyGraph) {}

  at(moment: Date): StatusPicture {
    const key = moment.getTime();
    let picture = this.pictures.get(key);
    if (!picture) {
      picture = new StatusPicture(this.graph, moment);
      this.pictures.set(key, picture);
    }
    return picture;
  }

  /** Moments in (from, to] at which a report in the component's closure was observed, oldest first. */
  changeMoments(componentId: string, from: number, to: number): number[] {
    const moments = new Set<number>();
    for (const id of this.graph.closureOf(componentId)) {
      for (const report of this.graph.component(id)?.reports ?? []) {
        const t = report.observedAt.getTime();
        if (t > from && t <= to) moments.add(t);
      }
    }
    return [...moments].sort((a, b) => a - b);
  }

  /** When the effective status at `asOf` began; null when the component was never known. */
  since(componentId: string, asOf: Date): Date | null {
    const current = this.at(asOf).effective(componentId).status;
    if (current === 'UNKNOWN') return null;
    const moments = this.changeMoments(componentId, Number.NEGATIVE_INFINITY, asOf.getTime());
    let since: number | null = null;
    for (let i = moments.length - 1; i >= 0; i--) {
      const before = this.at(new Date(moments[i] - 1)).effective(componentId).status;
      since = moments[i];
      if (before !== current) break;
    }
    return since === null ? null : new Date(since);
  }

  /**
   * Share of [from, min(to, asOf)] during which the component was OPERATIONAL, counting only time
   * when its status was known. Null when no time in the window was known.
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
      const status = this.at(new Date(boundaries[i])).effective(componentId).status;
      if (status === 'UNKNOWN') continue;
      known += length;
      if (status === 'OPERATIONAL') operational += length;
    }
    return known === 0 ? null : operational / known;
  }
}
