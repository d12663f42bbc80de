import { DependenciesInForce } from '../../src/modules/status/dependencies-in-memory';

/** The in-memory copy of the dependencies in force: the walk up and the dependencies that matter. */
const row = (c: string, d: string, k: 'REQUIRED' | 'OPTIONAL' = 'REQUIRED', g: string | null = null) => ({ c, d, k, g });

// gateway ← app1 ← svc1; gateway ← app2 ← svc1 (a diamond); app2 also needs infra and, in a group, backup.
const dependencies = new DependenciesInForce(7, [
  row('app1', 'gateway'), row('app2', 'gateway', 'OPTIONAL'), row('svc1', 'app1'), row('svc1', 'app2'),
  row('app2', 'infra'), row('app1', 'backup', 'REQUIRED', 'pair'), row('app1', 'gateway2', 'REQUIRED', 'pair'),
  row('elsewhere', 'infra'),
]);

test('above: the component first, then everything that depends on it, each once', () => {
  const above = dependencies.above('gateway');
  expect(above[0]).toBe('gateway');
  expect([...above].sort()).toEqual(['app1', 'app2', 'gateway', 'svc1']);
  expect(dependencies.above('svc1')).toEqual(['svc1']);
  // A component without any dependency is known to nobody here: itself alone.
  expect(dependencies.above('new-component')).toEqual(['new-component']);
});

test('above: an old cycle ends the walk instead of looping', () => {
  const cyclic = new DependenciesInForce(1, [row('a', 'b'), row('b', 'c'), row('c', 'a')]);
  expect([...cyclic.above('a')].sort()).toEqual(['a', 'b', 'c']);
});

test('the dependencies that matter: between members, in a redundancy group, or to an outage outside', () => {
  const members = dependencies.above('gateway');
  const key = (e: { componentId: string; dependsOnId: string; outsideOutage: boolean }) => `${e.componentId}>${e.dependsOnId}${e.outsideOutage ? ' (outage)' : ''}`;
  // infra works: app2's dependency on it imposes nothing and is left out.
  expect(dependencies.edgesThatMatter(members, new Set()).map(key).sort())
    .toEqual(['app1>backup', 'app1>gateway', 'app1>gateway2', 'app2>gateway', 'svc1>app1', 'svc1>app2']);
  // infra down: now it matters, marked as an outage outside; the gateway's own status is not read from outside.
  const withOutage = dependencies.edgesThatMatter(members, new Set(['infra', 'gateway']));
  expect(withOutage.map(key).sort())
    .toEqual(['app1>backup', 'app1>gateway', 'app1>gateway2', 'app2>gateway', 'app2>infra (outage)', 'svc1>app1', 'svc1>app2']);
  expect(withOutage.find((e) => e.dependsOnId === 'backup')).toEqual({ componentId: 'app1', dependsOnId: 'backup', kind: 'REQUIRED', redundancyGroup: 'pair', outsideOutage: false });
  expect(withOutage.find((e) => e.componentId === 'app2' && e.dependsOnId === 'gateway')!.kind).toBe('OPTIONAL');
});
