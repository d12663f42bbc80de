import type { Viewer } from '../../src/modules/access';
import type { ComponentKind } from '../../src/modules/component';
import { recordStatusChanges } from '../../src/modules/events';
import { pictureKeeper, takeInTime } from '../../src/modules/picture';
import { COORDINATOR, TestApi } from '../helpers/api';
import { openTestDatabase, TestDatabase } from '../helpers/database';
import { factories } from '../helpers/factories';

/**
 * The stored picture (live_status) is derived data, kept by the picture keeper on every write: after
 * any write it must be exactly what judging the facts from scratch gives (a rebuild, which is the
 * status engine over the facts), and the write's change events must be exactly what it changed.
 * Random but reproducible (PICTURE_SEED).
 */
const SEED = Number(process.env.PICTURE_SEED ?? 20260114);
let db: TestDatabase;
let api: TestApi;
let make: ReturnType<typeof factories>;
let random: () => number;

/** mulberry32, the seeded generator bench/lib/random.ts uses too: small and reproducible. */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
const chance = (p: number) => random() < p;
const sql = (text: string, params: unknown[] = []) => db.dataSource.query(text, params);
const globalId = (type: string, uuid: string) => Buffer.from(`${type}:${uuid}`).toString('base64url');

const STATUSES = ['OPERATIONAL', 'DEGRADED_PERFORMANCE', 'UNDER_MAINTENANCE', 'PARTIAL_OUTAGE', 'MAJOR_OUTAGE'] as const;
const CAUSES = ['PRECAUTIONARY_SHUTDOWN', 'FAILURE', 'MAINTENANCE', 'COMPROMISE', 'DEPENDENCY'] as const;
type Status = (typeof STATUSES)[number];

type Operator = Extract<Viewer, { kind: 'organisation' }>;
interface Node { id: string; kind: ComponentKind; operator: Operator; retired?: boolean }
const world: Node[] = [];
const municipalities: string[] = [];
const rank: Record<ComponentKind, number> = { INFRASTRUCTURE: 0, GATEWAY: 1, APPLICATION: 2, SERVICE: 3 };

// ---- the API -------------------------------------------------------------------------------------------

const REPORT = `mutation($input: ReportStatusInput!) { reportStatus(input: $input) { replayed statusReport { id observedAt } effectiveStatus { status } } }`;
const ADD = `mutation($input: AddDependencyInput!) { addDependency(input: $input) { dependency { id component { effectiveStatus { status } } } } }`;
const REMOVE = `mutation($input: RemoveDependencyInput!) { removeDependency(input: $input) { dependency { removedAt component { id effectiveStatus { status rootCause { id } } } } } }`;
const UPDATE = `mutation($input: UpdateComponentInput!) { updateComponent(input: $input) { component { revision } } }`;
const RETIRE = `mutation($input: RetireComponentInput!) { retireComponent(input: $input) { component { retiredAt } } }`;

async function report(node: Node, status: Status, extra: { observedAt?: Date; idempotencyKey?: string; cause?: string } = {}) {
  const cause = status === 'OPERATIONAL' ? null : (extra.cause ?? pick(CAUSES));
  const input = { componentId: globalId('Component', node.id), status, cause, observedAt: extra.observedAt?.toISOString(), idempotencyKey: extra.idempotencyKey };
  return (await api.data(REPORT, { input }, chance(0.3) ? COORDINATOR : node.operator)).reportStatus;
}

async function revisionOf(node: Node): Promise<number> {
  return (await api.data(`query($id: ID!) { component(id: $id) { revision } }`, { id: globalId('Component', node.id) })).component.revision;
}

// ---- the stored picture ------------------------------------------------------------------------------------

/** Every stored row, as a reader and a writer see it: answers, own facts, what matters below and who is above. */
function snapshot(): Promise<Record<string, unknown>[]> {
  return sql(`SELECT component_id, kind, audience, status, cause, root_cause::text AS root_cause, root_cause_report_id, since, stale,
                     own_stale_from, own_stale, outage, residents_affected, report_id, heartbeat_seconds,
                     (SELECT jsonb_agg(c ORDER BY c->>0) FROM jsonb_array_elements(contributions) c) AS contributions,
                     (SELECT jsonb_agg(d ORDER BY d->>0) FROM jsonb_array_elements(dependants) d) AS dependants
                FROM live_status ORDER BY component_id`);
}

/** The picture as kept equals the picture judged again from every fact, at the same moment. */
async function expectKeptEqualsRebuilt(step: string, now = new Date()): Promise<void> {
  await takeInTime(db.dataSource, now, recordStatusChanges);
  const kept = await snapshot();
  await pictureKeeper.rebuild(db.dataSource.manager, now);
  const rebuilt = await snapshot();
  // Rebuilt and kept differ at most in the order of lists inside rows (sorted above); row by row, for a readable failure.
  const keptById = new Map(kept.map((row) => [row.component_id, row]));
  for (const row of rebuilt) expect({ step, row: keptById.get(row.component_id) }).toEqual({ step, row });
  expect({ step, rows: kept.length }).toEqual({ step, rows: rebuilt.length });
}

async function lastPosition(): Promise<number> {
  return Number((await sql(`SELECT coalesce(max(position_end), 0) AS last FROM change_write`))[0].last);
}

async function eventsAfter(position: number): Promise<{ component_id: string; status: string; previous_status: string; stale: boolean; seq: string }[]> {
  return sql(`SELECT e.component_id, e.status, e.previous_status, e.stale, (w.position_end - w.event_count + e.n)::text AS seq
                FROM change_write w JOIN change_event e ON e.write_id = w.id
               WHERE w.position_end > $1 AND e.kind = 'STATUS' ORDER BY w.position_end, e.n`, [position]);
}

/** The change events since `position` are exactly the changes of status or staleness between two snapshots. */
async function expectEventsMatch(step: string, before: Record<string, unknown>[], position: number): Promise<void> {
  const after = await snapshot();
  const was = new Map(before.map((row) => [row.component_id, row]));
  const changed = after
    .filter((row) => was.has(row.component_id) && (was.get(row.component_id)!.status !== row.status || was.get(row.component_id)!.stale !== row.stale))
    .map((row) => ({ component_id: row.component_id, status: row.status, previous_status: was.get(row.component_id)!.status, stale: row.stale }));
  const events = (await eventsAfter(position)).map(({ seq: _seq, ...event }) => event);
  const byComponent = (a: { component_id: unknown }, b: { component_id: unknown }) => String(a.component_id).localeCompare(String(b.component_id));
  expect({ step, events: [...events].sort(byComponent) }).toEqual({ step, events: changed.sort(byComponent) });
}

// ---- the world ----------------------------------------------------------------------------------------

async function buildWorld(): Promise<void> {
  await make.organisation('COORDINATOR', { id: (COORDINATOR as { organisationId: string }).organisationId, name: 'Coordinator' });
  const operators: Operator[] = [];
  for (const kind of ['SHARED_SERVICE_ORGANISATION', 'SHARED_SERVICE_ORGANISATION', 'VENDOR'] as const) {
    const org = await make.organisation(kind);
    operators.push({ kind: 'organisation', organisationId: org.id, role: kind === 'VENDOR' ? 'VENDOR' : 'OPERATOR', tokenId: `t-${org.id}` });
  }
  for (let i = 0; i < 6; i++) municipalities.push((await make.organisation('MUNICIPALITY', { population: 5_000 + Math.floor(random() * 200_000) })).id);
  const add = async (kind: ComponentKind) => {
    const operator = pick(operators);
    const extra = {
      heartbeatSeconds: chance(0.2) ? pick([600, 3600, 5 * 86_400]) : null,
      ...(kind === 'SERVICE' ? { audience: pick(['RESIDENTS', 'STAFF', 'BUSINESSES'] as const) } : {}),
    };
    const deliveredTo = new Set<string>();
    for (const count = 1 + Math.floor(random() * 3); deliveredTo.size < count;) deliveredTo.add(pick(municipalities));
    const row = kind === 'SERVICE' ? await make.service(operator.organisationId, [...deliveredTo], extra) : await make.component(operator.organisationId, kind, extra);
    const node: Node = { id: row.id, kind, operator };
    world.push(node);
    return node;
  };
  let groups = 0;
  for (const [kind, count] of [['INFRASTRUCTURE', 3], ['GATEWAY', 8], ['APPLICATION', 12], ['SERVICE', 18]] as const) {
    for (let i = 0; i < count; i++) {
      const below = world.filter((b) => rank[b.kind] < rank[kind]);
      const node = await add(kind);
      if (below.length === 0) continue;
      const targets = new Set<Node>();
      for (let e = 0, n = 1 + Math.floor(random() * 3); e < n; e++) targets.add(pick(below));
      for (const target of targets) await make.dependency(node.id, target.id, chance(0.7) ? 'REQUIRED' : 'OPTIONAL');
      const pair = below.filter((b) => !targets.has(b) && (b.kind === 'GATEWAY' || b.kind === 'APPLICATION'));
      if (pair.length >= 2 && chance(0.3)) {
        const [first, second] = [pick(pair), pick(pair)];
        if (first !== second) {
          groups += 1;
          const kind = chance(0.6) ? 'REQUIRED' : 'OPTIONAL';
          await make.dependency(node.id, first.id, kind, `pair-${groups}`);
          await make.dependency(node.id, second.id, kind, `pair-${groups}`);
        }
      }
    }
  }
  // Yesterday's baseline: most components reported once.
  const baseline = Date.now() - 2 * 86_400_000;
  for (const [i, node] of world.entries()) {
    if (chance(0.15)) continue;
    const status = chance(0.6) ? 'OPERATIONAL' : pick(STATUSES);
    await make.report(node.id, node.operator.organisationId, status, new Date(baseline + i * 1000), status === 'OPERATIONAL' ? null : pick(CAUSES));
  }
}

beforeAll(async () => {
  random = mulberry32(SEED);
  db = await openTestDatabase();
  make = factories(db.dataSource.manager);
  api = await new TestApi(db.dataSource).start();
  await buildWorld();
}, 120_000);
afterAll(async () => {
  await api?.stop();
  await db?.close();
});

const current = () => world.filter((n) => !n.retired);

/** One random write of any kind, through the API; returns what it was, for the failure message. */
async function randomWrite(i: number, lastObserved: Map<Node, Date>): Promise<string> {
  const roll = random();
  if (roll < 0.55) {
    const node = pick(current());
    const status = chance(0.35) ? 'OPERATIONAL' : pick(STATUSES);
    // Mostly now; some earlier (late, sometimes behind a newer report); some at the very moment of
    // the component's previous report (arrival order decides).
    const observedAt = lastObserved.has(node) && chance(0.15) ? lastObserved.get(node) : chance(0.5) ? undefined
      : new Date(Date.now() - (chance(0.7) ? random() * 3 * 3_600_000 : (1 + random() * 3) * 86_400_000));
    const { statusReport } = await report(node, status, { observedAt });
    lastObserved.set(node, new Date(statusReport.observedAt));
    return `${i}: report ${status} on ${node.kind} ${node.id}${observedAt ? ` observed ${observedAt.toISOString()}` : ''}`;
  }
  if (roll < 0.7) {
    const from = pick(current().filter((n) => n.kind !== 'INFRASTRUCTURE'));
    const to = pick(current().filter((n) => rank[n.kind] < rank[from.kind]));
    const group = chance(0.3) ? `g-${i}` : null;
    const result = await api.query(ADD, { input: { componentId: globalId('Component', from.id), dependsOnId: globalId('Component', to.id), kind: chance(0.7) ? 'REQUIRED' : 'OPTIONAL', redundancyGroup: group } });
    return `${i}: add ${from.id} → ${to.id}${result.errors ? ` (refused: ${result.errors[0].extensions?.code})` : ''}`;
  }
  if (roll < 0.82) {
    const [edge] = await sql(`SELECT id FROM dependency WHERE removed_at IS NULL ORDER BY md5(id::text || $1) LIMIT 1`, [String(i)]);
    if (!edge) return `${i}: no dependency to remove`;
    await api.data(REMOVE, { input: { dependencyId: globalId('Dependency', edge.id) } });
    return `${i}: remove ${edge.id}`;
  }
  if (roll < 0.9) {
    const node = pick(current());
    const heartbeatSeconds = chance(0.3) ? null : pick([60, 600, 3600]);
    await api.data(UPDATE, { input: { componentId: globalId('Component', node.id), revision: await revisionOf(node), heartbeatSeconds } });
    return `${i}: heartbeat ${heartbeatSeconds} on ${node.id}`;
  }
  if (roll < 0.95) {
    const node = pick(current().filter((n) => n.kind === 'SERVICE'));
    const deliveredTo = [pick(municipalities), pick(municipalities)].map((id) => globalId('Organisation', id));
    await api.data(UPDATE, { input: { componentId: globalId('Component', node.id), revision: await revisionOf(node), deliveredTo, audience: pick(['RESIDENTS', 'STAFF']) } });
    return `${i}: deliveries and audience of ${node.id}`;
  }
  const node = pick(current());
  await api.data(RETIRE, { input: { componentId: globalId('Component', node.id) } });
  node.retired = true;
  return `${i}: retire ${node.kind} ${node.id}`;
}

describe(`every write keeps the stored picture exactly as judging the facts gives it (seed ${SEED})`, () => {
  test('after each of 80 random writes (reports, dependencies, heartbeats, deliveries, retirements) the picture kept equals a rebuild, and the events are exactly what changed', async () => {
    await expectKeptEqualsRebuilt('start');
    const lastObserved = new Map<Node, Date>();
    for (let i = 1; i <= 80; i++) {
      const before = await snapshot();
      const position = await lastPosition();
      const step = await randomWrite(i, lastObserved);
      await expectEventsMatch(step, before, position);
      await expectKeptEqualsRebuilt(step);
    }
  }, 240_000);

  test('time: heartbeats that run out make their components and what depends on them stale, without a request', async () => {
    const node = pick(current().filter((n) => n.kind === 'GATEWAY'));
    await api.data(UPDATE, { input: { componentId: globalId('Component', node.id), revision: await revisionOf(node), heartbeatSeconds: 60 } });
    await report(node, 'OPERATIONAL');
    const before = await snapshot();
    const position = await lastPosition();
    const later = new Date(Date.now() + 2 * 60_000);
    const taken = await takeInTime(db.dataSource, later, recordStatusChanges);
    expect(taken).toBeGreaterThan(0);
    const [row] = await sql(`SELECT stale, own_stale FROM live_status WHERE component_id = $1`, [node.id]);
    expect(row).toEqual({ stale: true, own_stale: true });
    await expectEventsMatch('time', before, position);
    expect((await eventsAfter(position)).some((e) => e.component_id === node.id && e.stale)).toBe(true);
    await expectKeptEqualsRebuilt('time', later);
    // Back to the real clock for what follows.
    await pictureKeeper.rebuild(db.dataSource.manager, new Date());
  });
});

describe('payloads show the state after their own write', () => {
  test('removeDependency answers with the dependant as it is without the edge, and says so again when read', async () => {
    const app = await make.component(world[0].operator.organisationId, 'APPLICATION');
    const gateway = await make.component(world[0].operator.organisationId, 'GATEWAY');
    await make.report(gateway.id, world[0].operator.organisationId, 'MAJOR_OUTAGE', new Date(Date.now() - 60_000));
    const { addDependency } = await api.data(ADD, { input: { componentId: globalId('Component', app.id), dependsOnId: globalId('Component', gateway.id), kind: 'REQUIRED' } });
    expect(addDependency.dependency.component.effectiveStatus.status).toBe('MAJOR_OUTAGE');
    const { removeDependency } = await api.data(REMOVE, { input: { dependencyId: addDependency.dependency.id } });
    expect(removeDependency.dependency.component.effectiveStatus).toEqual({ status: 'UNKNOWN', rootCause: [] });
    const { component } = await api.data(`query($id: ID!) { component(id: $id) { effectiveStatus { status } } }`, { id: globalId('Component', app.id) });
    expect(component.effectiveStatus.status).toBe('UNKNOWN');
  });
});

describe('writes that do not share what they change do not wait for each other', () => {
  test('reports on unrelated components commit while a report on a hub with thousands of dependants is being judged', async () => {
    const operator = world[0].operator;
    const [{ id: hub }] = await sql(`INSERT INTO component (kind, operator_id, name, product_vendor, product, version, internet_facing)
      VALUES ('GATEWAY', $1, 'Hub gateway', 'Citrix', 'ADC', '13.0', true) RETURNING id`, [operator.organisationId]);
    const services: { id: string }[] = await sql(`INSERT INTO component (kind, operator_id, name, audience)
      SELECT 'SERVICE', $1, 'Hub service ' || n, 'RESIDENTS' FROM generate_series(1, 4000) n RETURNING id`, [operator.organisationId]);
    await sql(`INSERT INTO dependency (component_id, depends_on_id, kind, added_at) SELECT unnest($1::uuid[]), $2, 'REQUIRED', now() - interval '1 day'`,
      [services.map((s) => s.id), hub]);
    await sql(`INSERT INTO status_report (component_id, status, observed_at, reporter_id, source)
      SELECT id, 'OPERATIONAL', now() - interval '1 hour', $1, 'setup' FROM component WHERE id = $2 OR name LIKE 'Hub service %'`, [operator.organisationId, hub]);
    // Loaded around the API, as a bulk load is: the picture is judged from the facts again.
    await pictureKeeper.rebuild(db.dataSource.manager, new Date());
    const unrelated = current().filter((n) => n.kind === 'GATEWAY').slice(0, 3);
    const hubNode: Node = { id: hub, kind: 'GATEWAY', operator };

    const finished: string[] = [];
    const position = await lastPosition();
    const hubReport = report(hubNode, 'MAJOR_OUTAGE', { cause: 'PRECAUTIONARY_SHUTDOWN' }).then(() => finished.push('hub'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const others = unrelated.map((node, i) => report(node, i % 2 ? 'OPERATIONAL' : 'PARTIAL_OUTAGE', { cause: 'FAILURE' }).then(() => finished.push(node.id)));
    await Promise.all([hubReport, ...others]);
    if (process.env.DATABASE_URL) {
      // On a server the others are not held up by the hub's report.
      expect(finished.indexOf('hub')).toBe(finished.length - 1);
    }
    // Every event has one position, without gaps, and the hub's 4,001 come together.
    const events = await eventsAfter(position);
    const positions = events.map((e) => Number(e.seq));
    expect(positions).toEqual(positions.map((_, i) => position + 1 + i));
    expect(events.filter((e) => e.status === 'MAJOR_OUTAGE' && (e.component_id === hub || services.some((s) => s.id === e.component_id)))).toHaveLength(4001);
    await expectKeptEqualsRebuilt('hub and others');
  }, 120_000);
});

describe('retiring a component', () => {
  test('it leaves now (lists, the picture, what depended on it) and stays in history', async () => {
    const gateway = await make.component(world[0].operator.organisationId, 'GATEWAY');
    const service = await make.service(world[0].operator.organisationId, [municipalities[0]]);
    await make.dependency(service.id, gateway.id, 'REQUIRED', null, new Date(Date.now() - 3_600_000));
    await make.report(gateway.id, world[0].operator.organisationId, 'MAJOR_OUTAGE', new Date(Date.now() - 1_800_000));
    const before = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await api.data(RETIRE, { input: { componentId: globalId('Component', gateway.id) } });
    const STATUS = `query($id: ID!, $asOf: DateTime) { component(id: $id) { retiredAt effectiveStatus(asOf: $asOf) { status } } }`;
    expect((await api.data(STATUS, { id: globalId('Component', service.id) })).component.effectiveStatus.status).toBe('UNKNOWN');
    expect((await api.data(STATUS, { id: globalId('Component', service.id), asOf: before })).component.effectiveStatus.status).toBe('MAJOR_OUTAGE');
    const retired = (await api.data(STATUS, { id: globalId('Component', gateway.id), asOf: before })).component;
    expect(retired).toMatchObject({ retiredAt: expect.any(String), effectiveStatus: { status: 'MAJOR_OUTAGE' } });
    const { components } = await api.data(`query($s: String) { components(filter: { search: $s }) { totalCount } }`, { s: (await sql(`SELECT name FROM component WHERE id = $1`, [gateway.id]))[0].name });
    expect(components.totalCount).toBe(0);
    expect(await sql(`SELECT 1 FROM live_status WHERE component_id = $1`, [gateway.id])).toEqual([]);
    const again = await api.query(REPORT, { input: { componentId: globalId('Component', gateway.id), status: 'OPERATIONAL' } });
    expect(again.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'componentId' });
    await expectKeptEqualsRebuilt('retired');
  });
});
