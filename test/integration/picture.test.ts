import { Client } from 'pg';
import type { Viewer } from '../../src/modules/access';
import type { ComponentKind } from '../../src/modules/component';
import { recordStatusChanges } from '../../src/modules/events';
import { pictureKeeper, takeInTime, withWhatIf } from '../../src/modules/picture';
import type { WhatIfJudgement } from '../../src/modules/picture';
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
                     maintenance, next_maintenance_at, root_cause_maintenance_id,
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

/**
 * The change events since `position` tell exactly how each component got from the first snapshot to
 * the second: per component, each event starts where the one before left it, the last ends where the
 * component is, and a component that changed has at least one. (A write first takes in what time did
 * since the last one, so a component may pass through a maintenance window on the way.)
 */
async function expectEventsMatch(step: string, before: Record<string, unknown>[], position: number): Promise<void> {
  const after = new Map((await snapshot()).map((row) => [row.component_id as string, row]));
  const state = new Map(before.map((row) => [row.component_id as string, { status: row.status, stale: row.stale }]));
  const broken: string[] = [];
  for (const event of await eventsAfter(position)) {
    const was = state.get(event.component_id);
    if (!was) continue; // registered by this step
    if (was.status !== event.previous_status) broken.push(`${event.component_id}: an event from ${event.previous_status}, but it was ${String(was.status)}`);
    state.set(event.component_id, { status: event.status, stale: event.stale });
  }
  for (const [id, now] of state) {
    const row = after.get(id);
    if (row && (row.status !== now.status || row.stale !== now.stale)) {
      broken.push(`${id}: the events leave it ${String(now.status)}${now.stale ? ' (stale)' : ''}, it is ${String(row.status)}${row.stale ? ' (stale)' : ''}`);
    }
  }
  expect({ step, broken }).toEqual({ step, broken: [] });
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

/**
 * A window as the maintenance module writes it: the rows, then the keeper takes the change in. A
 * window never begins before the write that announces it (the module refuses that).
 */
async function announce(componentIds: string[], from: Date, until: Date, now = new Date()): Promise<string> {
  return db.dataSource.transaction(async (tx) => {
    const [window] = await tx.query(`INSERT INTO maintenance_window (operator_id, title, starts_at, ends_at) VALUES ($1, 'test', $2, $3) RETURNING id`,
      [world[0].operator.organisationId, from, until]);
    for (const id of componentIds) await tx.query(`INSERT INTO maintenance_component (maintenance_id, component_id) VALUES ($1, $2)`, [window.id, id]);
    await recordStatusChanges(tx, await pictureKeeper.maintenanceChanged(tx, componentIds, now));
    return window.id as string;
  });
}



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
  if (roll < 0.93) {
    // A window that begins within a second or two and is soon over: some begin and end during the run.
    const nodes = [pick(current()), pick(current())].map((n) => n.id).filter((id, k, all) => all.indexOf(id) === k);
    const now = new Date();
    const from = new Date(now.getTime() + random() * 1500);
    await announce(nodes, from, new Date(from.getTime() + 200 + random() * 3000), now);
    return `${i}: maintenance on ${nodes.join(', ')} from ${from.toISOString()}`;
  }
  if (roll < 0.96) {
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
  test('after each of 80 random writes (reports, dependencies, heartbeats, deliveries, maintenance, retirements) the picture kept equals a rebuild, and the events are exactly what changed', async () => {
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

  test('a rebuild judging a few components at a time, each page from its own history, gives the picture one page gives', async () => {
    const now = new Date();
    await pictureKeeper.rebuild(db.dataSource.manager, now);
    const whole = await snapshot();
    await pictureKeeper.rebuild(db.dataSource.manager, now, { pageSize: 3 });
    const paged = await snapshot();
    expect(paged.length).toBeGreaterThan(30);
    const wholeById = new Map(whole.map((row) => [row.component_id, row]));
    for (const row of paged) expect(row).toEqual(wholeById.get(row.component_id));
    expect(paged.length).toBe(whole.length);
  });

  test('time: heartbeats that run out make their components and what depends on them stale, without a request', async () => {
    // Infrastructure depends on nothing: fresh after its report, stale only by its own silence.
    const node = pick(current().filter((n) => n.kind === 'INFRASTRUCTURE'));
    await api.data(UPDATE, { input: { componentId: globalId('Component', node.id), revision: await revisionOf(node), heartbeatSeconds: 60 } });
    await report(node, 'OPERATIONAL');
    expect((await sql(`SELECT stale FROM live_status WHERE component_id = $1`, [node.id]))[0].stale).toBe(false);
    const before = await snapshot();
    const position = await lastPosition();
    const later = new Date(Date.now() + 2 * 60_000);
    try {
      const taken = await takeInTime(db.dataSource, later, recordStatusChanges);
      expect(taken).toBeGreaterThan(0);
      const [row] = await sql(`SELECT stale, own_stale FROM live_status WHERE component_id = $1`, [node.id]);
      expect(row).toEqual({ stale: true, own_stale: true });
      await expectEventsMatch('time', before, position);
      expect((await eventsAfter(position)).some((e) => e.component_id === node.id && e.stale)).toBe(true);
      await expectKeptEqualsRebuilt('time', later);
    } finally {
      // Back to the real clock for what follows.
      await pictureKeeper.rebuild(db.dataSource.manager, new Date());
    }
  });
});

describe('writes at once', () => {
  test('reports and dependency writes racing on components that share dependants leave the picture a rebuild would give', async () => {
    const gateways = current().filter((n) => n.kind === 'GATEWAY' || n.kind === 'APPLICATION');
    for (let round = 0; round < 6; round++) {
      const writes: Promise<unknown>[] = [];
      for (let k = 0; k < 8; k++) {
        const node = pick(gateways);
        const status = chance(0.4) ? 'OPERATIONAL' : pick(STATUSES);
        // Some on the same millisecond, some a moment late: the commit order and the observation order differ.
        const observedAt = chance(0.3) ? new Date(Date.now() - Math.floor(random() * 2000)) : undefined;
        writes.push(report(node, status, { observedAt }));
      }
      const from = pick(current().filter((n) => n.kind === 'SERVICE'));
      writes.push(api.query(ADD, { input: { componentId: globalId('Component', from.id), dependsOnId: globalId('Component', pick(gateways).id), kind: 'REQUIRED' } }));
      await Promise.all(writes);
      await expectKeptEqualsRebuilt(`round ${round}`);
    }
  }, 120_000);
});

describe('announced maintenance', () => {
  test('a window begins and ends without a request: UNDER_MAINTENANCE in between (unless a report is worse), and what depends on it feels it', async () => {
    const gateway = await make.component(world[0].operator.organisationId, 'GATEWAY');
    const service = await make.service(world[0].operator.organisationId, [municipalities[0]]);
    await make.dependency(service.id, gateway.id, 'REQUIRED', null, new Date(Date.now() - 60_000));
    await make.report(gateway.id, world[0].operator.organisationId, 'OPERATIONAL', new Date(Date.now() - 30_000));
    await make.report(service.id, world[0].operator.organisationId, 'OPERATIONAL', new Date(Date.now() - 30_000));
    const now = Date.now();
    const window = await announce([gateway.id], new Date(now + 60_000), new Date(now + 120_000));
    const status = async (id: string) => (await sql(`SELECT status, cause, root_cause_maintenance_id FROM live_status WHERE component_id = $1`, [id]))[0];
    expect(await status(service.id)).toMatchObject({ status: 'OPERATIONAL' });
    await expectKeptEqualsRebuilt('announced');

    const during = new Date(now + 90_000);
    const position = await lastPosition();
    await takeInTime(db.dataSource, during, recordStatusChanges);
    expect(await status(gateway.id)).toEqual({ status: 'UNDER_MAINTENANCE', cause: 'MAINTENANCE', root_cause_maintenance_id: window });
    expect(await status(service.id)).toEqual({ status: 'UNDER_MAINTENANCE', cause: 'DEPENDENCY', root_cause_maintenance_id: window });
    const ours = (await eventsAfter(position)).filter((e) => e.component_id === gateway.id || e.component_id === service.id);
    expect(ours.map((e) => [e.component_id, e.status]).sort()).toEqual([[gateway.id, 'UNDER_MAINTENANCE'], [service.id, 'UNDER_MAINTENANCE']].sort());
    await expectKeptEqualsRebuilt('during maintenance', during);

    const after = new Date(now + 150_000);
    await takeInTime(db.dataSource, after, recordStatusChanges);
    expect(await status(service.id)).toMatchObject({ status: 'OPERATIONAL', root_cause_maintenance_id: null });
    await expectKeptEqualsRebuilt('after maintenance', after);
    // And the past keeps it: the service was under maintenance then, judged from the facts.
    const { node } = await api.data(`query($id: ID!, $asOf: DateTime) { node(id: $id) { ... on Component { effectiveStatus(asOf: $asOf) { status cause } } } }`,
      { id: globalId('Component', service.id), asOf: during.toISOString() });
    expect(node.effectiveStatus).toEqual({ status: 'UNDER_MAINTENANCE', cause: 'DEPENDENCY' });
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
  test('reports on unrelated components go through while a write holds a hub with thousands of dependants; a report on the hub waits for it', async () => {
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

    // While a write holds the hub and everything above it (as a report on the hub does while it is
    // judged), reports on unrelated components go through, and a report on the hub waits. On a
    // server only: the embedded engine has one connection, so there every write takes its turn.
    if (process.env.DATABASE_URL) {
      // A connection of its own, beside the pool the API's writes use.
      const holder = new Client({ connectionString: db.url });
      await holder.connect();
      await holder.query('BEGIN');
      let hubDone = false;
      let waiting: Promise<void> | null = null;
      try {
        await holder.query(`SELECT component_id FROM live_status WHERE component_id = $1 OR component_id = ANY($2::uuid[]) ORDER BY component_id FOR UPDATE`,
          [hub, services.map((s) => s.id)]);
        waiting = report(hubNode, 'DEGRADED_PERFORMANCE', { cause: 'FAILURE' }).then(() => {
          hubDone = true;
        });
        const others = Promise.all(unrelated.map((node, i) => report(node, i % 2 ? 'OPERATIONAL' : 'PARTIAL_OUTAGE', { cause: 'FAILURE' })));
        const outcome = await Promise.race([others.then(() => 'done'), new Promise((resolve) => setTimeout(() => resolve('held up'), 10_000))]);
        expect(outcome).toBe('done');
        expect(hubDone).toBe(false);
      } finally {
        await holder.query('ROLLBACK');
        await holder.end();
      }
      await waiting;
      expect(hubDone).toBe(true);
    }

    // The hub's own report alongside the others: every event has one position, without gaps, and
    // the hub's 4,001 come together.
    const position = await lastPosition();
    await Promise.all([
      report(hubNode, 'MAJOR_OUTAGE', { cause: 'PRECAUTIONARY_SHUTDOWN' }),
      ...unrelated.map((node, i) => report(node, i % 2 ? 'PARTIAL_OUTAGE' : 'OPERATIONAL', { cause: 'FAILURE' })),
    ]);
    const events = await eventsAfter(position);
    const positions = events.map((e) => Number(e.seq));
    expect(positions).toEqual(positions.map((_, i) => position + 1 + i));
    expect(events.filter((e) => e.status === 'MAJOR_OUTAGE' && (e.component_id === hub || services.some((s) => s.id === e.component_id)))).toHaveLength(4001);
    await expectKeptEqualsRebuilt('hub and others');
  }, 120_000);
});

describe('what-ifs take turns', () => {
  test('what-ifs asked at once are judged and used one after the other, and one that fails does not stop the next', async () => {
    const gateway = pick(current().filter((n) => n.kind === 'GATEWAY'));
    const events: string[] = [];
    const use = (name: string, fail = false) => async (judged: WhatIfJudgement) => {
      events.push(`${name} in`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      events.push(`${name} out`);
      if (fail) throw new Error(`${name} failed`);
      return judged.memberIds.length;
    };
    const now = new Date();
    const ask = (name: string, fail = false) => withWhatIf(db.dataSource.manager, [gateway.id], 'MAJOR_OUTAGE', null, now, use(name, fail));
    const [first, second, third] = await Promise.allSettled([ask('first'), ask('second', true), ask('third')]);
    expect(events).toEqual(['first in', 'first out', 'second in', 'second out', 'third in', 'third out']);
    expect(first).toEqual({ status: 'fulfilled', value: expect.any(Number) });
    expect(second).toEqual({ status: 'rejected', reason: new Error('second failed') });
    expect(third).toEqual(first);
  });
});

describe('a late report above a dependency that ended since', () => {
  test('what depended on the component then is judged again: its since moves to when the dependency ended', async () => {
    const operator = world[0].operator;
    const gateway = await make.component(operator.organisationId, 'GATEWAY');
    const service = await make.service(operator.organisationId, [municipalities[0]]);
    const hour = 3_600_000;
    await make.dependency(service.id, gateway.id, 'REQUIRED', null, new Date(Date.now() - 3 * hour));
    await make.report(gateway.id, operator.organisationId, 'OPERATIONAL', new Date(Date.now() - 2 * hour));
    await make.report(service.id, operator.organisationId, 'OPERATIONAL', new Date(Date.now() - 2 * hour));
    const [edge] = await sql(`SELECT id FROM dependency WHERE component_id = $1 AND depends_on_id = $2`, [service.id, gateway.id]);
    await api.data(REMOVE, { input: { dependencyId: globalId('Dependency', edge.id) } });
    const [{ removed_at: removedAt }] = await sql(`SELECT removed_at FROM dependency WHERE id = $1`, [edge.id]);
    // Observed before the dependency ended, after everything the gateway's own row knows of: only the
    // ended dependency makes this report late.
    await report({ id: gateway.id, kind: 'GATEWAY', operator }, 'MAJOR_OUTAGE', { observedAt: new Date(Date.now() - hour), cause: 'FAILURE' });
    const [row] = await sql(`SELECT status, since FROM live_status WHERE component_id = $1`, [service.id]);
    expect(row).toEqual({ status: 'OPERATIONAL', since: removedAt });
    await expectKeptEqualsRebuilt('a late report above a dependency that ended since');
  });
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

describe('a report observed before a fact already taken in', () => {
  test('what depends on a component whose history is replayed follows that history, not the report\'s moment', async () => {
    // G ← D ← E, D not yet depending on G: all operational since two days ago.
    const operator = world[0].operator;
    const g = await make.component(operator.organisationId, 'GATEWAY', {});
    const d = await make.component(operator.organisationId, 'APPLICATION', {});
    const e = await make.service(operator.organisationId, [municipalities[0]], { audience: 'RESIDENTS' });
    await make.dependency(e.id, d.id, 'REQUIRED');
    const baseline = Date.now() - 2 * 86_400_000;
    for (const [i, id] of [g.id, d.id, e.id].entries()) await make.report(id, operator.organisationId, 'OPERATIONAL', new Date(baseline + i), null);
    await pictureKeeper.rebuild(db.dataSource.manager, new Date());
    // D comes to depend on G now; then G's operator reports that G went down a second before that.
    const added = Date.now();
    await api.data(ADD, { input: { componentId: globalId('Component', d.id), dependsOnId: globalId('Component', g.id), kind: 'REQUIRED' } });
    const input = { componentId: globalId('Component', g.id), status: 'MAJOR_OUTAGE', cause: 'FAILURE', observedAt: new Date(added - 1000).toISOString() };
    await api.data(REPORT, { input }, operator);
    // D went down when it came to depend on G, and E with it: not a second earlier.
    const [row] = await sql(`SELECT status, since FROM live_status WHERE component_id = $1`, [e.id]);
    expect(row.status).not.toBe('OPERATIONAL');
    expect((row.since as Date).getTime()).toBeGreaterThanOrEqual(added);
    await expectKeptEqualsRebuilt('report observed before a dependency was added');
  });
});
