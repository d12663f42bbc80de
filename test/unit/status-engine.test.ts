import { ComponentFact, DependencyGraph, EdgeFact, ReportFact, StatusPicture, StatusTimeline } from '../../src/modules/picture/status.engine';
import type { ComponentStatus, StatusCause } from '../../src/common/vocabulary';

/** A tiny graph language: `report('gw', 'MAJOR_OUTAGE', '12:00')`, `edge('svc', 'gw')`. */
let seq = 0;
const day = (time: string) => new Date(`2020-01-17T${time}:00+01:00`);
function report(componentId: string, status: ReportFact['status'], time = '09:00', cause: StatusCause | null = status === 'OPERATIONAL' ? null : 'FAILURE'): ReportFact {
  return { id: `r${++seq}`, componentId, status, cause, observedAt: day(time), seq };
}
/** An edge in force from `from` until `until` (times of the day; default: always). */
function edge(componentId: string, dependsOnId: string, kind: 'REQUIRED' | 'OPTIONAL' = 'REQUIRED', redundancyGroup: string | null = null,
  from: string | null = null, until: string | null = null): EdgeFact {
  return { componentId, dependsOnId, kind, redundancyGroup, from: from ? day(from).getTime() : Number.NEGATIVE_INFINITY, until: until ? day(until).getTime() : null };
}
function graph(reports: ReportFact[], edges: EdgeFact[], heartbeats: Record<string, [seconds: number | null, from: string | null][]> = {},
  retired: Record<string, string> = {}): DependencyGraph {
  const ids = new Set([...reports.map((r) => r.componentId), ...edges.flatMap((e) => [e.componentId, e.dependsOnId]), ...Object.keys(heartbeats)]);
  const facts: ComponentFact[] = [...ids].map((id) => ({
    id,
    heartbeats: (heartbeats[id] ?? []).map(([seconds, from]) => ({ seconds, from: from ? day(from).getTime() : Number.NEGATIVE_INFINITY })),
    reports: reports.filter((r) => r.componentId === id).sort((a, b) => a.observedAt.getTime() - b.observedAt.getTime() || a.seq - b.seq),
    retiredAt: retired[id] ? day(retired[id]).getTime() : null,
  }));
  return new DependencyGraph(facts, edges);
}
const at = (g: DependencyGraph, time = '18:00') => new StatusPicture(g, day(time));
const statusOf = (g: DependencyGraph, id: string, time = '18:00'): ComponentStatus => at(g, time).judge(id).status;

describe('own status', () => {
  test('a component never reported on is UNKNOWN', () => {
    expect(statusOf(graph([], [edge('svc', 'gw')]), 'svc')).toBe('UNKNOWN');
  });

  test('the newest observation wins, whatever order the reports arrived in', () => {
    const late = report('gw', 'MAJOR_OUTAGE', '17:30');
    const early = report('gw', 'OPERATIONAL', '09:00'); // arrives later (higher seq) but was observed earlier
    expect(statusOf(graph([late, early], []), 'gw')).toBe('MAJOR_OUTAGE');
  });

  test('reports observed after asOf are ignored', () => {
    const g = graph([report('gw', 'OPERATIONAL', '09:00'), report('gw', 'MAJOR_OUTAGE', '17:30')], []);
    expect(statusOf(g, 'gw', '17:00')).toBe('OPERATIONAL');
    expect(statusOf(g, 'gw', '17:30')).toBe('MAJOR_OUTAGE');
  });

  test('two reports observed at the same moment: the one that arrived last wins, on every read', () => {
    const g = graph([report('gw', 'PARTIAL_OUTAGE', '12:00'), report('gw', 'OPERATIONAL', '12:00')], []);
    expect(statusOf(g, 'gw')).toBe('OPERATIONAL');
    expect(statusOf(g, 'gw')).toBe('OPERATIONAL');
  });
});

describe('what dependencies impose', () => {
  test('a REQUIRED dependency passes its outage on unchanged, with the root cause path', () => {
    const g = graph([report('svc', 'OPERATIONAL'), report('app', 'OPERATIONAL'), report('gw', 'PARTIAL_OUTAGE', '12:00', 'PRECAUTIONARY_SHUTDOWN')],
      [edge('svc', 'app'), edge('app', 'gw')]);
    const effective = at(g).judge('svc');
    expect(effective).toMatchObject({ status: 'PARTIAL_OUTAGE', cause: 'DEPENDENCY', rootCause: ['svc', 'app', 'gw'] });
    expect(effective.rootCauseReportId).toBe(g.component('gw')!.reports[0].id);
  });

  test('an OPTIONAL dependency turns any outage into at most DEGRADED_PERFORMANCE', () => {
    for (const outage of ['MAJOR_OUTAGE', 'PARTIAL_OUTAGE', 'UNDER_MAINTENANCE', 'DEGRADED_PERFORMANCE'] as const) {
      const g = graph([report('svc', 'OPERATIONAL'), report('gw', outage, '12:00')], [edge('svc', 'gw', 'OPTIONAL')]);
      expect(at(g).judge('svc')).toMatchObject({ status: 'DEGRADED_PERFORMANCE', rootCause: ['svc', 'gw'] });
    }
  });

  test('UNKNOWN and OPERATIONAL dependencies impose nothing', () => {
    const g = graph([report('svc', 'OPERATIONAL'), report('ok', 'OPERATIONAL')], [edge('svc', 'never-reported'), edge('svc', 'ok')]);
    expect(at(g).judge('svc')).toMatchObject({ status: 'OPERATIONAL', rootCause: [] });
  });

  test('the worst wins: own status against several dependencies', () => {
    const g = graph([report('svc', 'DEGRADED_PERFORMANCE'), report('a', 'PARTIAL_OUTAGE'), report('b', 'MAJOR_OUTAGE'), report('c', 'MAJOR_OUTAGE')],
      [edge('svc', 'a'), edge('svc', 'b', 'OPTIONAL'), edge('svc', 'c')]);
    expect(at(g).judge('svc')).toMatchObject({ status: 'MAJOR_OUTAGE', rootCause: ['svc', 'c'] });
  });

  test('a component that reports its own failure keeps its own cause when a dependency is equally bad', () => {
    const g = graph([report('svc', 'MAJOR_OUTAGE', '10:00', 'COMPROMISE'), report('gw', 'MAJOR_OUTAGE', '11:00')], [edge('svc', 'gw')]);
    expect(at(g).judge('svc')).toMatchObject({ status: 'MAJOR_OUTAGE', cause: 'COMPROMISE', rootCause: ['svc'] });
  });

  test('an operator who says "down because of a dependency" gets the dependency’s path', () => {
    const g = graph([report('svc', 'MAJOR_OUTAGE', '17:45', 'DEPENDENCY'), report('gw', 'MAJOR_OUTAGE', '17:30', 'PRECAUTIONARY_SHUTDOWN')], [edge('svc', 'gw')]);
    expect(at(g).judge('svc')).toMatchObject({ cause: 'DEPENDENCY', rootCause: ['svc', 'gw'] });
    expect(at(g).judge('svc').rootCauseReportId).toBe(g.component('gw')!.reports[0].id);
  });

  test('a component never reported on, behind a failed gateway, is down, not unknown', () => {
    const g = graph([report('gw', 'MAJOR_OUTAGE')], [edge('svc', 'gw')]);
    expect(statusOf(g, 'svc')).toBe('MAJOR_OUTAGE');
  });
});

describe('redundancy groups', () => {
  const remoteWork = (gw1: ReportFact['status'], gw2: ReportFact['status'] | null, kind: 'REQUIRED' | 'OPTIONAL' = 'REQUIRED') =>
    graph([report('svc', 'OPERATIONAL'), report('gw1', gw1), ...(gw2 ? [report('gw2', gw2)] : [])],
      [edge('svc', 'gw1', kind, 'gateways'), edge('svc', 'gw2', kind, 'gateways')]);

  test('one member down: the group still carries the service', () => {
    expect(statusOf(remoteWork('MAJOR_OUTAGE', 'OPERATIONAL'), 'svc')).toBe('OPERATIONAL');
  });

  test('every member down: the group imposes its best member’s status', () => {
    const g = remoteWork('MAJOR_OUTAGE', 'DEGRADED_PERFORMANCE');
    expect(at(g).judge('svc')).toMatchObject({ status: 'DEGRADED_PERFORMANCE', rootCause: ['svc', 'gw2'] });
    expect(statusOf(remoteWork('MAJOR_OUTAGE', 'MAJOR_OUTAGE'), 'svc')).toBe('MAJOR_OUTAGE');
  });

  test('a member nobody reported on is not counted as down', () => {
    expect(statusOf(remoteWork('MAJOR_OUTAGE', null), 'svc')).toBe('OPERATIONAL');
  });

  test('an OPTIONAL group that is entirely down degrades only', () => {
    expect(statusOf(remoteWork('MAJOR_OUTAGE', 'MAJOR_OUTAGE', 'OPTIONAL'), 'svc')).toBe('DEGRADED_PERFORMANCE');
  });

  test('two groups are judged separately', () => {
    const g = graph([report('svc', 'OPERATIONAL'), report('a1', 'MAJOR_OUTAGE'), report('a2', 'OPERATIONAL'), report('b1', 'PARTIAL_OUTAGE'), report('b2', 'MAJOR_OUTAGE')],
      [edge('svc', 'a1', 'REQUIRED', 'a'), edge('svc', 'a2', 'REQUIRED', 'a'), edge('svc', 'b1', 'REQUIRED', 'b'), edge('svc', 'b2', 'REQUIRED', 'b')]);
    expect(at(g).judge('svc')).toMatchObject({ status: 'PARTIAL_OUTAGE', rootCause: ['svc', 'b1'] });
  });
});

describe('diamonds and shared dependencies', () => {
  // svc → left → gw and svc → right → gw: the gateway is reached twice but judged once.
  test('an outage reached along two paths is reported once, along a stable path', () => {
    const g = graph([report('svc', 'OPERATIONAL'), report('left', 'OPERATIONAL'), report('right', 'OPERATIONAL'), report('gw', 'MAJOR_OUTAGE')],
      [edge('svc', 'right'), edge('svc', 'left'), edge('left', 'gw'), edge('right', 'gw')]);
    const first = at(g).judge('svc');
    expect(first).toMatchObject({ status: 'MAJOR_OUTAGE', rootCause: ['svc', 'left', 'gw'] });
    expect(at(g).judge('svc').rootCause).toEqual(first.rootCause);
  });

  test('a diamond with one OPTIONAL arm: the REQUIRED arm decides', () => {
    const g = graph([report('svc', 'OPERATIONAL'), report('left', 'OPERATIONAL'), report('right', 'OPERATIONAL'), report('gw', 'MAJOR_OUTAGE')],
      [edge('svc', 'left', 'OPTIONAL'), edge('svc', 'right'), edge('left', 'gw'), edge('right', 'gw')]);
    expect(at(g).judge('svc')).toMatchObject({ status: 'MAJOR_OUTAGE', rootCause: ['svc', 'right', 'gw'] });
  });

  test('of equally bad dependencies the one with the smallest id explains, in whatever order the edges arrive', () => {
    // 3 dependencies (sorted by insertion) and 40 (sorted by Array.prototype.sort): the same rule.
    for (const count of [3, 40]) {
      const ids = Array.from({ length: count }, (_, i) => `dep-${String(i).padStart(2, '0')}`);
      const reports = [report('svc', 'OPERATIONAL'), ...ids.map((id) => report(id, 'MAJOR_OUTAGE'))];
      for (const order of [ids, [...ids].reverse(), [...ids.slice(1), ids[0]]]) {
        const g = graph(reports, order.map((id) => edge('svc', id)));
        expect(at(g).judge('svc').rootCause).toEqual(['svc', 'dep-00']);
      }
    }
  });

  test('a cycle left over in old data imposes nothing instead of looping', () => {
    const g = graph([report('a', 'OPERATIONAL'), report('b', 'MAJOR_OUTAGE')], [edge('a', 'b'), edge('b', 'a')]);
    expect(statusOf(g, 'a')).toBe('MAJOR_OUTAGE');
  });
});

describe('what-if override', () => {
  test('replaces one component’s own status and nothing else', () => {
    const g = graph([report('svc', 'OPERATIONAL'), report('gw', 'OPERATIONAL')], [edge('svc', 'gw')]);
    const whatIf = new StatusPicture(g, day('18:00'), { override: new Map([['gw', 'MAJOR_OUTAGE']]) });
    expect(whatIf.judge('svc')).toMatchObject({ status: 'MAJOR_OUTAGE', rootCause: ['svc', 'gw'] });
    expect(statusOf(g, 'svc')).toBe('OPERATIONAL');
  });
});

describe('silence', () => {
  test('a component silent beyond its heartbeat keeps its status but is stale, and so is what depends on it', () => {
    const g = graph([report('svc', 'OPERATIONAL', '17:00'), report('gw', 'OPERATIONAL', '09:00')], [edge('svc', 'gw')], { gw: [[3600, null]] });
    const gw = at(g).judge('gw');
    expect(gw).toMatchObject({ status: 'OPERATIONAL', stale: true, ownStaleFrom: day('10:00').getTime() });
    expect(at(g).judge('svc')).toMatchObject({ status: 'OPERATIONAL', stale: true, ownStaleFrom: null });
    expect(at(g, '09:30').judge('gw').stale).toBe(false);
  });

  test('staleness is judged on the heartbeat promised at the moment asked about', () => {
    // An hour promised until 12:00, then ten minutes: silent since 09:00, stale from 10:00 under the
    // first promise, fresh again under neither, and stale from 12:00 (not 09:10) under the second.
    const g = graph([report('gw', 'OPERATIONAL', '09:00')], [], { gw: [[3600, null], [600, '12:00']] });
    expect(at(g, '09:30').judge('gw').stale).toBe(false);
    expect(at(g, '11:00').judge('gw')).toMatchObject({ stale: true, ownStaleFrom: day('10:00').getTime() });
    expect(at(g, '12:30').judge('gw')).toMatchObject({ stale: true, ownStaleFrom: day('12:00').getTime() });
    const withdrawn = graph([report('gw', 'OPERATIONAL', '09:00')], [], { gw: [[3600, null], [null, '11:00']] });
    expect(at(withdrawn, '12:00').judge('gw').stale).toBe(false);
  });
});

describe('time', () => {
  const g = graph([
    report('svc', 'OPERATIONAL', '08:00'),
    report('gw', 'OPERATIONAL', '08:00'),
    report('gw', 'MAJOR_OUTAGE', '12:00'),
    report('gw', 'MAJOR_OUTAGE', '15:00'), // a repeated report does not restart "since"
    report('gw', 'OPERATIONAL', '16:00'),
  ], [edge('svc', 'gw')]);
  const timeline = new StatusTimeline(g);

  test('since is when the effective status last changed', () => {
    expect(timeline.since('svc', day('15:30'))).toEqual(day('12:00'));
    expect(timeline.since('svc', day('17:00'))).toEqual(day('16:00'));
    expect(timeline.since('svc', day('10:00'))).toEqual(day('08:00'));
    expect(timeline.since('svc', day('07:00'))).toBeNull();
  });

  test('uptime is the operational share of the known part of the window, up to asOf', () => {
    expect(timeline.uptime('svc', day('08:00'), day('18:00'), day('18:00'))).toBeCloseTo(6 / 10, 9);
    expect(timeline.uptime('svc', day('06:00'), day('18:00'), day('18:00'))).toBeCloseTo(6 / 10, 9);
    expect(timeline.uptime('svc', day('08:00'), day('18:00'), day('14:00'))).toBeCloseTo(4 / 6, 9);
    expect(timeline.uptime('svc', day('05:00'), day('07:00'), day('18:00'))).toBeNull();
  });
});

describe('facts with periods: an answer about the past never moves', () => {
  // svc depends on gw from 08:00 until 14:00; gw is down 10:00–16:00.
  const g = graph([report('svc', 'OPERATIONAL', '08:00'), report('gw', 'OPERATIONAL', '08:00'), report('gw', 'MAJOR_OUTAGE', '10:00'), report('gw', 'OPERATIONAL', '16:00')],
    [edge('svc', 'gw', 'REQUIRED', null, '08:00', '14:00')]);
  const timeline = new StatusTimeline(g);

  test('a dependency counts only while it is in force', () => {
    expect(statusOf(g, 'svc', '12:00')).toBe('MAJOR_OUTAGE');
    expect(statusOf(g, 'svc', '15:00')).toBe('OPERATIONAL');
  });

  test('since: the removal of a dependency is when the status changed', () => {
    expect(timeline.since('svc', day('15:00'))).toEqual(day('14:00'));
    expect(timeline.since('svc', day('12:00'))).toEqual(day('10:00'));
  });

  test('uptime over a window judges each part on the dependencies in force then, whatever asOf', () => {
    // 08:00–18:00: down 10:00–14:00, so 6 of 10 hours.
    expect(timeline.uptime('svc', day('08:00'), day('18:00'), day('18:00'))).toBeCloseTo(6 / 10, 9);
    expect(timeline.uptime('svc', day('08:00'), day('12:00'), day('18:00'))).toBeCloseTo(2 / 4, 9);
  });

  test('a dependency added later does not reach back', () => {
    const later = graph([report('svc', 'OPERATIONAL', '08:00'), report('gw', 'MAJOR_OUTAGE', '09:00')], [edge('svc', 'gw', 'REQUIRED', null, '15:00')]);
    expect(statusOf(later, 'svc', '12:00')).toBe('OPERATIONAL');
    expect(statusOf(later, 'svc', '16:00')).toBe('MAJOR_OUTAGE');
    expect(new StatusTimeline(later).since('svc', day('16:00'))).toEqual(day('15:00'));
  });

  test('a regrouped dependency: one edge ends, one begins, each counts for its own period', () => {
    const regrouped = graph([report('svc', 'OPERATIONAL', '08:00'), report('gw1', 'MAJOR_OUTAGE', '09:00'), report('gw2', 'OPERATIONAL', '08:00')], [
      edge('svc', 'gw1', 'REQUIRED', null, '08:00', '13:00'),
      edge('svc', 'gw1', 'REQUIRED', 'pair', '13:00'), edge('svc', 'gw2', 'REQUIRED', 'pair', '13:00'),
    ]);
    expect(statusOf(regrouped, 'svc', '12:00')).toBe('MAJOR_OUTAGE');
    expect(statusOf(regrouped, 'svc', '14:00')).toBe('OPERATIONAL');
  });

  test('a retired component is UNKNOWN and depends on nothing from its retirement on', () => {
    const retired = graph([report('svc', 'OPERATIONAL', '08:00'), report('gw', 'MAJOR_OUTAGE', '09:00')], [edge('svc', 'gw')], {}, { svc: '12:00' });
    expect(statusOf(retired, 'svc', '11:00')).toBe('MAJOR_OUTAGE');
    expect(statusOf(retired, 'svc', '13:00')).toBe('UNKNOWN');
  });
});
