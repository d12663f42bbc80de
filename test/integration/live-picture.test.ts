import type { Viewer } from '../../src/modules/access';
import type { ComponentKind } from '../../src/modules/component';
import { livePictureRepository, loadDependenciesInForce, rebuildLivePicture } from '../../src/modules/status';
import * as dependenciesInMemory from '../../src/modules/status/dependencies-in-memory';
import { COORDINATOR, TestApi } from '../helpers/api';
import { openTestDatabase, TestDatabase } from '../helpers/database';
import { factories } from '../helpers/factories';

/**
 * The live picture (live_status, live_picture_state) is derived data: whatever path kept it current,
 * it must say what judging the reports themselves says. Random but reproducible (LIVE_PICTURE_SEED).
 */
const SEED = Number(process.env.LIVE_PICTURE_SEED ?? 20260114);
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
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sql = (text: string, params: unknown[] = []) => db.dataSource.query(text, params);
const componentId = (uuid: string) => Buffer.from(`Component:${uuid}`).toString('base64url');

const STATUSES = ['OPERATIONAL', 'DEGRADED_PERFORMANCE', 'UNDER_MAINTENANCE', 'PARTIAL_OUTAGE', 'MAJOR_OUTAGE'] as const;
const CAUSES = ['PRECAUTIONARY_SHUTDOWN', 'FAILURE', 'MAINTENANCE', 'COMPROMISE', 'DEPENDENCY'] as const;
type Status = (typeof STATUSES)[number];

/** The test world: every component with who may report on it. */
type Operator = Extract<Viewer, { kind: 'organisation' }>;
interface Node { id: string; kind: ComponentKind; operator: Operator }
const world: Node[] = [];
/** What the random reports pick from: not the hub's cluster. */
const reportable: Node[] = [];
/** The gateway whose dependants reach it through a REQUIRED edge, an OPTIONAL edge and a redundancy group. */
let hub: Node;
/** The hub's partner in that redundancy group. */
let partner: Node;
/** Something beside the hub that one of the hub's services also needs. */
let beside: Node;

// ---- talking to the API ---------------------------------------------------------------------------

const REPORT = `mutation($input: ReportStatusInput!) { reportStatus(input: $input) { replayed statusReport { id observedAt } } }`;

async function report(node: Node, status: Status, extra: { observedAt?: Date; viewer?: Viewer; idempotencyKey?: string; cause?: string } = {}) {
  const cause = status === 'OPERATIONAL' ? null : (extra.cause ?? pick(CAUSES));
  const input = { componentId: componentId(node.id), status, cause, observedAt: extra.observedAt?.toISOString(), idempotencyKey: extra.idempotencyKey };
  return (await api.data(REPORT, { input }, extra.viewer ?? node.operator)).reportStatus;
}

const OVERVIEW = `query($asOf: DateTime) { nationalOverview(asOf: $asOf) {
  asOf componentsByStatus { status count } componentsByKind { kind status count }
  gatewaysByProduct { vendor product version status count } municipalitiesWithOutage { id } residentsAffected } }`;

/** The overview's moment, and its counts (the municipalities, in no defined order, sorted). */
async function overview(asOf?: string) {
  const { nationalOverview: { asOf: moment, municipalitiesWithOutage, ...counts } } = await api.data(OVERVIEW, { asOf });
  return { asOf: moment as string, counts: { ...counts, municipalitiesWithOutage: municipalitiesWithOutage.map((m: { id: string }) => m.id).sort() } };
}

const IMPACT = `query($id: ID!, $status: ComponentStatus!) { impact(componentId: $id, status: $status) {
  residentsAffected municipalities { id }
  affected {
    # The service as its own entity: the stored picture's path builds it from the walk's rows.
    service { id kind name description heartbeatSeconds revision operator { id } ... on Service { audience } }
    municipality { id } status cause stale rootCause { id } rootCauseReport { id } } } }`;

async function impact(node: Node, status: Status) {
  const { impact: i } = await api.data(IMPACT, { id: componentId(node.id), status });
  // Lists as sorted sets: the order of `affected` and `municipalities` is not defined.
  return { residentsAffected: i.residentsAffected, municipalities: i.municipalities.map((m: { id: string }) => m.id).sort(), affected: i.affected.map((a: unknown) => JSON.stringify(a)).sort() };
}

// ---- looking at the stored picture ------------------------------------------------------------------

async function pictureState(): Promise<{ changes: number; version: number }> {
  return (await sql(`SELECT changes::int AS changes, version::int AS version FROM live_picture_state`))[0];
}

async function expectCurrent(): Promise<void> {
  const state = await pictureState();
  expect(state.version).toBe(state.changes);
}

function snapshot() {
  return sql(`SELECT component_id, kind, status, cause, root_cause::text AS root_cause, root_cause_report, stale_from, report_id
                FROM live_status ORDER BY component_id`);
}

async function liveRow(id: string) {
  return (await sql(`SELECT status, root_cause::text AS root_cause FROM live_status WHERE component_id = $1`, [id]))[0];
}

/** Forgets that the picture is current and rebuilds it from the facts. */
async function forceRebuild(): Promise<void> {
  await sql(`UPDATE live_picture_state SET version = version - 1`);
  await rebuildLivePicture(db.dataSource.manager);
  await expectCurrent();
}

/** The picture as kept incrementally equals the picture rebuilt from the facts. */
async function expectKeptEqualsRebuilt(): Promise<void> {
  await expectCurrent();
  const kept = await snapshot();
  await forceRebuild();
  expect(kept).toEqual(await snapshot());
}

/**
 * Runs `ask` while the stored picture cannot answer about now (a fact seemingly dated tomorrow),
 * facts untouched: the service judges from the reports. Puts the moment back to the microsecond.
 */
async function judgedFromReports<T>(ask: () => Promise<T>): Promise<T> {
  await expectCurrent();
  const [{ moment }] = await sql(`SELECT latest_moment::text AS moment FROM live_picture_state`);
  await sql(`UPDATE live_picture_state SET latest_moment = now() + interval '1 day'`);
  try {
    return await ask();
  } finally {
    await sql(`UPDATE live_picture_state SET latest_moment = $1::timestamptz`, [moment]);
  }
}

// ---- the world ----------------------------------------------------------------------------------------

async function buildWorld(): Promise<void> {
  await make.organisation('COORDINATOR', { id: (COORDINATOR as { organisationId: string }).organisationId, name: 'Coordinator' });
  const operators: Operator[] = [];
  for (const kind of ['SHARED_SERVICE_ORGANISATION', 'SHARED_SERVICE_ORGANISATION', 'VENDOR'] as const) {
    const org = await make.organisation(kind);
    operators.push({ kind: 'organisation', organisationId: org.id, role: kind === 'VENDOR' ? 'VENDOR' : 'OPERATOR', tokenId: `t-${org.id}` });
  }
  const municipalities: string[] = [];
  for (let i = 0; i < 6; i++) municipalities.push((await make.organisation('MUNICIPALITY', { population: 5_000 + Math.floor(random() * 200_000) })).id);

  const products = [['Citrix', 'ADC', '12.1.50.28'], ['Citrix', 'ADC', '13.1.4.43'], ['F5', 'BIG-IP', '16.1'], ['F5', 'BIG-IP', null]] as const;
  const add = async (kind: ComponentKind) => {
    const operator = pick(operators);
    const [productVendor, product, version] = pick(products);
    const extra = { heartbeatSeconds: chance(0.2) ? pick([600, 3600, 5 * 86_400]) : null,
      ...(kind === 'GATEWAY' ? { productVendor, product, version } : {}), ...(kind === 'SERVICE' ? { audience: pick(['RESIDENTS', 'STAFF', 'BUSINESSES'] as const) } : {}) };
    const deliveredTo = new Set<string>();
    for (const count = 2 + Math.floor(random() * 2); deliveredTo.size < count;) deliveredTo.add(pick(municipalities));
    const row = kind === 'SERVICE'
      ? await make.service(operator.organisationId, [...deliveredTo], extra)
      : await make.component(operator.organisationId, kind, extra);
    const node: Node = { id: row.id, kind, operator };
    world.push(node);
    return node;
  };
  const layers: [ComponentKind, number][] = [['INFRASTRUCTURE', 2], ['GATEWAY', 8], ['APPLICATION', 12], ['SERVICE', 18]];
  const rank = (kind: ComponentKind) => layers.findIndex(([k]) => k === kind);
  const edges = new Set<string>();
  const edge = async (from: Node, to: Node, kind: 'REQUIRED' | 'OPTIONAL', group: string | null = null) => {
    if (from === to || edges.has(`${from.id}>${to.id}`)) return;
    edges.add(`${from.id}>${to.id}`);
    await make.dependency(from.id, to.id, kind, group);
  };
  // The hub: dependants reach it through a REQUIRED edge, an OPTIONAL edge and a redundancy group
  // with its partner, each with a service on top. Only the tests below report on these.
  [hub, partner, beside] = [await add('GATEWAY'), await add('GATEWAY'), await add('INFRASTRUCTURE')];
  for (const [kind, group] of [['REQUIRED', null], ['OPTIONAL', null], ['REQUIRED', 'hub-pair']] as const) {
    const application = await add('APPLICATION');
    await edge(application, hub, kind, group);
    if (group) await edge(application, partner, kind, group);
    const service = await add('SERVICE');
    await edge(service, application, 'REQUIRED');
    if (kind === 'OPTIONAL') await edge(service, beside, 'REQUIRED');
  }
  // A quiet town: its one service for residents never reported (UNKNOWN counts: nobody can say it works).
  const town = await make.organisation('MUNICIPALITY', { population: 1_234 });
  await make.service(operators[0].organisationId, [town.id], { audience: 'RESIDENTS' });

  let groups = 0;
  for (const [kind, count] of layers) {
    for (let i = 0; i < count; i++) {
      const below = world.filter((b) => rank(b.kind) <= rank(kind));
      const node = await add(kind);
      reportable.push(node);
      if (below.length === 0) continue;
      for (let e = 0, n = kind === 'INFRASTRUCTURE' ? 0 : 1 + Math.floor(random() * 3); e < n; e++) await edge(node, pick(below), chance(0.7) ? 'REQUIRED' : 'OPTIONAL');
      // A redundancy group: two components of one kind backing each other up, one edge kind for both.
      const sameKind = below.filter((b) => b.kind === 'GATEWAY' || b.kind === 'APPLICATION');
      if (kind !== 'GATEWAY' && sameKind.length >= 2 && chance(0.3)) {
        const first = pick(sameKind);
        const second = pick(sameKind.filter((b) => b.kind === first.kind && b !== first));
        const groupKind = chance(0.6) ? 'REQUIRED' : 'OPTIONAL';
        if (second && !edges.has(`${node.id}>${first.id}`) && !edges.has(`${node.id}>${second.id}`)) {
          groups += 1;
          await edge(node, first, groupKind, `pair-${groups}`);
          await edge(node, second, groupKind, `pair-${groups}`);
        }
      }
    }
  }

  // Yesterday's baseline: the hub's cluster all OPERATIONAL; most other components reported once.
  const baseline = Date.now() - 2 * 86_400_000;
  for (const [i, node] of world.entries()) {
    const status = !reportable.includes(node) ? 'OPERATIONAL' : chance(0.15) ? null : chance(0.6) ? 'OPERATIONAL' : pick(STATUSES);
    if (status) await make.report(node.id, node.operator.organisationId, status, new Date(baseline + i * 1000), status === 'OPERATIONAL' ? null : pick(CAUSES));
  }
}

beforeAll(async () => {
  random = mulberry32(SEED);
  db = await openTestDatabase();
  make = factories(db.dataSource.manager);
  api = await new TestApi(db.dataSource).start();
  await buildWorld();
  await rebuildLivePicture(db.dataSource.manager);
  await expectCurrent();
}, 120_000);
afterAll(async () => {
  await api?.stop();
  await db?.close();
});

describe(`status reports keep the live picture current (seed ${SEED})`, () => {
  test('after each of 60 random reports the picture is current, and equals one rebuilt from the facts', async () => {
    // Every other report walks the dependencies in SQL, as when the copy in memory is out of date
    // (a dependency written since); the rest walk the copy, loaded now.
    await loadDependenciesInForce(db.dataSource.manager);
    const kept = dependenciesInMemory.keptDependenciesInForce;
    let inSql = false;
    const copyAsked = jest.spyOn(dependenciesInMemory, 'keptDependenciesInForce').mockImplementation((manager, version) => (inSql ? null : kept(manager, version)));
    const walkedInMemory = jest.spyOn(livePictureRepository, 'storedMembers');
    const walkedInSql = jest.spyOn(livePictureRepository, 'membersToJudge');
    const lastObserved = new Map<Node, Date>();
    for (let i = 1; i <= 60; i++) {
      inSql = i % 2 === 0;
      const node = pick(reportable);
      const status = chance(0.35) ? 'OPERATIONAL' : pick(STATUSES);
      // Mostly now; some a little earlier; some so late they are history behind the baseline; some
      // at the very moment of the component's previous report (arrival order decides).
      const observedAt = lastObserved.has(node) && chance(0.2) ? lastObserved.get(node) : chance(0.5) ? undefined
        : new Date(Date.now() - (chance(0.7) ? random() * 3 * 3_600_000 : (1 + random() * 3) * 86_400_000));
      const before = await snapshot();
      const [{ last }] = await sql(`SELECT coalesce(max(seq), 0)::bigint AS last FROM change_event`);
      const { statusReport } = await report(node, status, { observedAt, viewer: chance(0.3) ? COORDINATOR : node.operator });
      lastObserved.set(node, new Date(statusReport.observedAt));
      const state = await pictureState();
      expect({ report: i, ...state }).toEqual({ report: i, changes: state.changes, version: state.changes });
      // The picture kept after each report is the picture rebuilt from the facts ...
      await expectKeptEqualsRebuilt();
      // ... and the report's change events are exactly the statuses it changed, the reported component first.
      const after = await snapshot();
      const was = new Map(before.map((row: { component_id: string; status: string }) => [row.component_id, row.status]));
      const changed = after
        .filter((row: { component_id: string; status: string }) => was.get(row.component_id) !== row.status)
        .map((row: { component_id: string; status: string; root_cause: string }) => ({
          component_id: row.component_id, status: row.status, previous_status: was.get(row.component_id), root_cause: row.root_cause }));
      const events = await sql(
        `SELECT component_id, status, previous_status, root_cause::text AS root_cause FROM change_event WHERE seq > $1 ORDER BY seq`, [last]);
      const byComponent = (a: { component_id: string }, b: { component_id: string }) => a.component_id.localeCompare(b.component_id);
      expect({ report: i, events: [...events].sort(byComponent) }).toEqual({ report: i, events: changed.sort(byComponent) });
      if (events.length > 0) expect(events[0].component_id).toBe(node.id);
    }
    // Both ways were taken, 30 reports each.
    expect([walkedInMemory.mock.calls.length, walkedInSql.mock.calls.length]).toEqual([30, 30]);
    copyAsked.mockRestore();
    walkedInMemory.mockRestore();
    walkedInSql.mockRestore();
  }, 120_000);
});

describe('the national overview', () => {
  test('counted from the stored picture, it says what judging the reports says', async () => {
    const stored = await overview();
    const judged = await judgedFromReports(() => overview());
    expect(stored.counts).toEqual(judged.counts);
    expect(stored.counts.componentsByStatus.length).toBeGreaterThan(1);
    // Not vacuous: the first answer came from live_status (spoil it, and the answer changes).
    await sql(`UPDATE live_status SET status = 'MAJOR_OUTAGE'`);
    expect((await overview()).counts).not.toEqual(judged.counts);
    await forceRebuild();
    expect((await overview()).counts).toEqual(judged.counts);
  });

  test('a past asOf is the past answer: judged from the reports of then, not read from the stored picture', async () => {
    const then = await overview();
    await sleep(20);
    const [{ id }] = await sql(`SELECT component_id AS id FROM live_status WHERE status <> 'MAJOR_OUTAGE' AND component_id = ANY($1::uuid[]) LIMIT 1`, [reportable.map((n) => n.id)]);
    await report(reportable.find((n) => n.id === id)!, 'MAJOR_OUTAGE', { cause: 'COMPROMISE' });
    await report(hub, 'OPERATIONAL');
    await expectCurrent();
    const now = await overview();
    expect(now.counts).not.toEqual(then.counts);
    expect((await overview(then.asOf)).counts).toEqual(then.counts);

    // Before any report, everything is UNKNOWN: no outage, and every municipality with a RESIDENTS service counts.
    const [{ total }] = await sql(`SELECT count(*)::int AS total FROM component`);
    const [{ residents }] = await sql(`SELECT coalesce(sum(population), 0)::int AS residents FROM organisation m
      WHERE EXISTS (SELECT 1 FROM service_delivery sd JOIN component s ON s.id = sd.service_id WHERE sd.municipality_id = m.id AND s.audience = 'RESIDENTS')`);
    const longAgo = await overview(new Date(Date.now() - 10 * 86_400_000).toISOString());
    expect(longAgo.counts).toMatchObject({ componentsByStatus: [{ status: 'UNKNOWN', count: total }], municipalitiesWithOutage: [], residentsAffected: residents });
    await expectCurrent();
  });
});

describe('what-if (impact) on the stored picture', () => {
  test('says what judging the reports says, for a hub, its redundancy partner, an application and others', async () => {
    // The partner down: with the hub down too, the group fails (the partner lies outside what stands on the hub).
    // Beside degraded: one of the hub's services feels it whatever the hub does.
    await report(partner, 'MAJOR_OUTAGE', { cause: 'FAILURE' });
    const degraded = reportable.find((n) => n.kind === 'APPLICATION')!;
    await report(degraded, 'DEGRADED_PERFORMANCE', { cause: 'FAILURE' });
    await report(beside, 'DEGRADED_PERFORMANCE', { cause: 'MAINTENANCE' });
    const [{ id: busiest }] = await sql(`SELECT depends_on_id AS id FROM dependency d JOIN component c ON c.id = d.depends_on_id
      WHERE c.kind = 'APPLICATION' AND removed_at IS NULL GROUP BY depends_on_id ORDER BY count(*) DESC, depends_on_id LIMIT 1`);
    const application = world.find((n) => n.id === busiest)!;
    expect((await liveRow(partner.id)).status).toBe('MAJOR_OUTAGE');

    const questions: [Node, Status][] = [
      [hub, 'MAJOR_OUTAGE'], [hub, 'PARTIAL_OUTAGE'], [hub, 'DEGRADED_PERFORMANCE'], [hub, 'OPERATIONAL'],
      [partner, 'OPERATIONAL'], [partner, 'UNDER_MAINTENANCE'], [beside, 'OPERATIONAL'],
      [application, 'MAJOR_OUTAGE'], [application, 'OPERATIONAL'],
      [degraded, 'DEGRADED_PERFORMANCE'], [degraded, 'MAJOR_OUTAGE'],
    ];
    let nonEmpty = 0;
    for (const [node, status] of questions) {
      const stored = await impact(node, status);
      const judged = await judgedFromReports(() => impact(node, status));
      expect({ node: node.id, status, ...stored }).toEqual({ node: node.id, status, ...judged });
      if (stored.affected.length > 0) nonEmpty += 1;
    }
    expect(nonEmpty).toBeGreaterThan(3);
  }, 60_000);
});

describe('writes other than a status report', () => {
  const ADD = `mutation($input: AddDependencyInput!) { addDependency(input: $input) { dependency { id } } }`;
  const REMOVE = `mutation($input: RemoveDependencyInput!) { removeDependency(input: $input) { dependency { removedAt } } }`;
  const UPDATE = `mutation($input: UpdateComponentInput!) { updateComponent(input: $input) { component { heartbeatSeconds } } }`;
  const setHeartbeat = async (node: Node, heartbeatSeconds: number | null) => {
    const { component } = await api.data(`query($id: ID!) { component(id: $id) { revision } }`, { id: componentId(node.id) });
    await api.data(UPDATE, { input: { componentId: componentId(node.id), revision: component.revision, heartbeatSeconds } });
  };
  /** A component of the world's first operator, inserted directly: no reports, no edges. */
  const fresh = async (kind: ComponentKind): Promise<Node> => {
    const node: Node = { id: (await make.component(world[0].operator.organisationId, kind)).id, kind, operator: world[0].operator };
    world.push(node);
    return node;
  };

  test('a component inserted directly is UNKNOWN in the picture at once, which stays current', async () => {
    await overview();
    await expectCurrent();
    const gateway = await fresh('GATEWAY');
    expect(await sql(`SELECT kind, status, root_cause::text AS root_cause FROM live_status WHERE component_id = $1`, [gateway.id]))
      .toEqual([{ kind: 'GATEWAY', status: 'UNKNOWN', root_cause: '{}' }]);
    await expectCurrent();
    expect((await overview()).counts).toEqual((await judgedFromReports(() => overview())).counts);
  });

  test('a report inserted directly leaves the picture out of date; the next overview rebuilds and counts it', async () => {
    const gateway = world[world.length - 1];
    const before = await overview();
    const { changes } = await pictureState();
    await make.report(gateway.id, gateway.operator.organisationId, 'MAJOR_OUTAGE', new Date(Date.now() - 1000), 'FAILURE');
    const state = await pictureState();
    expect(state.changes).toBeGreaterThan(changes);
    expect(state.version).toBeLessThan(state.changes);

    const after = await overview();
    await expectCurrent();
    expect((await liveRow(gateway.id)).status).toBe('MAJOR_OUTAGE');
    const count = (o: typeof before, status: string) => o.counts.componentsByKind.find((k: { kind: string; status: string }) => k.kind === 'GATEWAY' && k.status === status)?.count ?? 0;
    expect(count(after, 'MAJOR_OUTAGE')).toBe(count(before, 'MAJOR_OUTAGE') + 1);
    expect(count(after, 'UNKNOWN')).toBe(count(before, 'UNKNOWN') - 1);
    expect(after.counts).toEqual((await judgedFromReports(() => overview())).counts);
  });

  test('a status report after a write the API did not see leaves the rebuild to the next reader', async () => {
    const gateway = await fresh('GATEWAY');
    await make.report(gateway.id, gateway.operator.organisationId, 'PARTIAL_OUTAGE', new Date(Date.now() - 1000), 'FAILURE');
    await report(hub, 'OPERATIONAL');
    const state = await pictureState();
    expect(state.version).toBeLessThan(state.changes);
    await overview();
    await expectCurrent();
    expect((await liveRow(gateway.id)).status).toBe('PARTIAL_OUTAGE');
  });

  test('an idempotent replay of reportStatus changes nothing, not even the count of changes', async () => {
    const node = reportable.find((n) => n.kind === 'SERVICE')!;
    const first = await report(node, 'PARTIAL_OUTAGE', { cause: 'MAINTENANCE', idempotencyKey: 'live-picture-replay' });
    const state = await pictureState();
    expect(state.version).toBe(state.changes);
    const replay = await report(node, 'PARTIAL_OUTAGE', { cause: 'MAINTENANCE', idempotencyKey: 'live-picture-replay' });
    expect(replay).toEqual({ replayed: true, statusReport: first.statusReport });
    expect(await pictureState()).toEqual(state);
  });

  describe('a dependency added and removed through the API', () => {
    let app: Node;
    let dependencyId: string;

    test('adding one judges the dependant again in the same transaction', async () => {
      app = await fresh('APPLICATION');
      await overview();
      await sleep(5);
      dependencyId = (await api.data(ADD, { input: { componentId: componentId(app.id), dependsOnId: componentId(partner.id), kind: 'REQUIRED' } })).addDependency.dependency.id;
      await expectCurrent();
      expect(await liveRow(app.id)).toEqual({ status: 'MAJOR_OUTAGE', root_cause: `{${app.id},${partner.id}}` });
      await expectKeptEqualsRebuilt();
    });

    test('removing one: the next overview is right again', async () => {
      await sleep(5);
      await api.data(REMOVE, { input: { dependencyId } });
      await sleep(5);
      const after = await overview();
      await expectCurrent();
      expect(await liveRow(app.id)).toEqual({ status: 'UNKNOWN', root_cause: '{}' });
      expect(after.counts).toEqual((await judgedFromReports(() => overview())).counts);
    });

    test('removing one judges the dependant again in the same transaction, as adding does (no rebuild left to the next reader)', async () => {
      dependencyId = (await api.data(ADD, { input: { componentId: componentId(app.id), dependsOnId: componentId(partner.id), kind: 'OPTIONAL' } })).addDependency.dependency.id;
      expect(await liveRow(app.id)).toEqual({ status: 'DEGRADED_PERFORMANCE', root_cause: `{${app.id},${partner.id}}` });
      await sleep(5);
      await api.data(REMOVE, { input: { dependencyId } });
      const state = await pictureState();
      expect(state).toEqual({ changes: state.changes, version: state.changes });
      expect(await liveRow(app.id)).toEqual({ status: 'UNKNOWN', root_cause: '{}' });
    });
  });

  test('the what-if follows every dependency written since its copy in memory was loaded, through the API or not', async () => {
    const dependencyChanges = async () => Number((await sql(`SELECT dependency_changes FROM live_picture_state`))[0].dependency_changes);
    const [{ id: municipality }] = await sql(`SELECT id FROM organisation WHERE kind = 'MUNICIPALITY' ORDER BY name LIMIT 1`);
    const newService = async () => {
      const node: Node = { id: (await make.service(world[0].operator.organisationId, [municipality], { audience: 'RESIDENTS' })).id, kind: 'SERVICE', operator: world[0].operator };
      world.push(node);
      return node;
    };
    const lists = (answer: Awaited<ReturnType<typeof impact>>, node: Node) => answer.affected.some((a: string) => a.includes(componentId(node.id)));
    const expectJudgedAlike = async () => expect(await impact(hub, 'MAJOR_OUTAGE')).toEqual(await judgedFromReports(() => impact(hub, 'MAJOR_OUTAGE')));

    const before = await impact(hub, 'MAJOR_OUTAGE');
    const viaApi = await newService();
    const viaSql = await newService();
    expect(lists(before, viaApi)).toBe(false);

    // Through the API: counted, and the next what-if has it.
    const count = await dependencyChanges();
    const { addDependency } = await api.data(ADD, { input: { componentId: componentId(viaApi.id), dependsOnId: componentId(hub.id), kind: 'REQUIRED' } });
    expect(await dependencyChanges()).toBeGreaterThan(count);
    expect(lists(await impact(hub, 'MAJOR_OUTAGE'), viaApi)).toBe(true);
    await expectJudgedAlike();

    // Written by hand (a bulk load, SQL): the trigger counts it all the same.
    await make.dependency(viaSql.id, hub.id, 'OPTIONAL');
    const withBoth = await impact(hub, 'MAJOR_OUTAGE');
    expect([lists(withBoth, viaApi), lists(withBoth, viaSql)]).toEqual([true, true]);
    await expectJudgedAlike();

    // Removed: gone from the next what-if.
    await sleep(5);
    await api.data(REMOVE, { input: { dependencyId: addDependency.dependency.id } });
    const afterRemoval = await impact(hub, 'MAJOR_OUTAGE');
    expect([lists(afterRemoval, viaApi), lists(afterRemoval, viaSql)]).toEqual([false, true]);
    await expectJudgedAlike();
  });

  describe('a heartbeat changed through the API', () => {
    // The newest fact then a report, to the millisecond as the API writes it (a removal's removed_at,
    // written by the database, has microseconds).
    beforeAll(() => report(hub, 'OPERATIONAL'));

    test('a new heartbeat judges the component and its dependants again: when they go stale', async () => {
      await overview();
      const [{ observed }] = await sql(`SELECT report_observed_at AS observed FROM live_status WHERE component_id = $1`, [hub.id]);
      await setHeartbeat(hub, 60);
      await expectCurrent();
      // The hub depends on nothing: its own heartbeat is the first to run out.
      expect((await sql(`SELECT stale_from FROM live_status WHERE component_id = $1`, [hub.id]))[0].stale_from).toEqual(new Date(observed.getTime() + 60_000));
      await expectKeptEqualsRebuilt();
      await setHeartbeat(hub, null);
      await expectKeptEqualsRebuilt();
    });

    test('a heartbeat "changed" to the value it had must not mark an out-of-date picture current', async () => {
      await overview();
      const gateway = await fresh('GATEWAY');
      // Out of date by one write that the API did not see (a bulk load, the seed)...
      await make.report(gateway.id, gateway.operator.organisationId, 'MAJOR_OUTAGE', new Date(Date.now() - 1000), 'FAILURE');
      // ... then an operator sends its settings again, unchanged, for a component that has nothing to do with it.
      await setHeartbeat(hub, null);
      try {
        await overview();
        expect(await liveRow(gateway.id)).toEqual({ status: 'MAJOR_OUTAGE', root_cause: `{${gateway.id}}` });
      } finally {
        await forceRebuild();
      }
    });
  });
});

describe('in the end', () => {
  test('a report dated a little ahead (a reporter\'s fast clock) counts from its moment on, not before', async () => {
    const before = await overview();
    const ahead = new Date(Date.now() + 1_500);
    await report(hub, 'MAJOR_OUTAGE', { observedAt: ahead, cause: 'FAILURE' });
    expect((await overview()).counts).toEqual(before.counts);
    await sleep(ahead.getTime() - Date.now() + 50);
    const after = await overview();
    await expectCurrent();
    expect(after.counts).not.toEqual(before.counts);
    expect(after.counts).toEqual((await judgedFromReports(() => overview())).counts);
  });

  test('after all of it, the picture kept is the picture rebuilt', async () => {
    await overview();
    await expectKeptEqualsRebuilt();
  });
});
