import { pictureKeeper } from '../../src/modules/picture';
import type { Viewer } from '../../src/modules/access';
import { loadDemoScenario } from '../../src/seed/demo-scenario';
import { TestApi } from '../helpers/api';
import { openTestDatabase, TestDatabase } from '../helpers/database';

/** reportStatus as a vendor's integration uses it: retried, raced, and relied on. */
let db: TestDatabase;
let api: TestApi;
let centric: Viewer;
let hltsamen: Viewer;
let hillegom: Viewer;
let centricGateway: string;
let tilburgGateway: string;

const REPORT = `
  mutation Report($input: ReportStatusInput!) {
    reportStatus(input: $input) {
      replayed current
      statusReport { id status cause observedAt source reporter { name } }
      effectiveStatus { status }
    }
  }`;

beforeAll(async () => {
  db = await openTestDatabase();
  await db.dataSource.transaction((manager) => loadDemoScenario(manager));
  api = await new TestApi(db.dataSource).start();
  const org = async (name: string) => (await db.dataSource.query(`SELECT id FROM organisation WHERE name LIKE $1`, [`${name}%`]))[0].id as string;
  centric = { kind: 'organisation', organisationId: await org('Centric'), role: 'VENDOR', tokenId: 'centric-integration' };
  hltsamen = { kind: 'organisation', organisationId: await org('HLTsamen'), role: 'OPERATOR', tokenId: 'hltsamen' };
  hillegom = { kind: 'organisation', organisationId: await org('Hillegom'), role: 'MUNICIPALITY', tokenId: 'hillegom' };
  const component = async (name: string) => Buffer.from(`Component:${(await db.dataSource.query(`SELECT id FROM component WHERE name = $1`, [name]))[0].id}`).toString('base64url');
  centricGateway = await component('Centric Citrix server');
  tilburgGateway = await component('Tilburg Citrix ADC');
});
afterAll(async () => {
  await api.stop();
  await db.close();
});

const count = async (sql: string) => (await db.dataSource.query(sql))[0].count as number;
const reports = () => count(`SELECT count(*)::int AS count FROM status_report`);

async function counterStatus(cbsCode: string): Promise<string> {
  const { municipality } = await api.data(`query($c: String!) { municipality(cbsCode: $c) { services { service { name } status } } }`, { c: cbsCode }, hillegom);
  return municipality.services.find((s: { service: { name: string } }) => s.service.name.startsWith('Public counter')).status;
}

test('"switched off, precautionary, 17:30", retried: stored once, and every dashboard sees it at once', async () => {
  const before = await reports();
  const input = {
    componentId: centricGateway, status: 'MAJOR_OUTAGE', cause: 'PRECAUTIONARY_SHUTDOWN', source: 'centric-integration',
    observedAt: new Date(Date.now() - 60_000).toISOString(), idempotencyKey: 'centric-2026-switch-off-1',
  };
  const first = await api.data(REPORT, { input }, centric);
  expect(first.reportStatus).toMatchObject({ replayed: false, current: true, statusReport: { status: 'MAJOR_OUTAGE', reporter: { name: 'Centric' } }, effectiveStatus: { status: 'MAJOR_OUTAGE' } });
  const retry = await api.data(REPORT, { input }, centric);
  expect(retry.reportStatus).toMatchObject({ replayed: true, statusReport: { id: first.reportStatus.statusReport.id } });
  expect(await reports()).toBe(before + 1);
  for (const cbs of ['GM0534', 'GM0553', 'GM1525']) expect(await counterStatus(cbs)).toBe('MAJOR_OUTAGE');

  await api.data(REPORT, { input: { componentId: centricGateway, status: 'OPERATIONAL', idempotencyKey: 'centric-2026-back-on-1' } }, centric);
  expect(await counterStatus('GM0534')).toBe('OPERATIONAL');
});

test('retries that race each other store one report and all get its id', async () => {
  const before = await reports();
  const input = { componentId: centricGateway, status: 'PARTIAL_OUTAGE', cause: 'FAILURE', idempotencyKey: 'race-1', observedAt: new Date(Date.now() - 30_000).toISOString() };
  const answers = await Promise.all(Array.from({ length: 8 }, () => api.data(REPORT, { input }, centric)));
  expect(new Set(answers.map((a) => a.reportStatus.statusReport.id)).size).toBe(1);
  expect(answers.filter((a) => !a.reportStatus.replayed)).toHaveLength(1);
  expect(await reports()).toBe(before + 1);
  await api.data(REPORT, { input: { componentId: centricGateway, status: 'OPERATIONAL', idempotencyKey: 'race-1-back' } }, centric);
});

test('the same key with a different report is a CONFLICT and writes nothing', async () => {
  await api.data(REPORT, { input: { componentId: centricGateway, status: 'OPERATIONAL', idempotencyKey: 'conflict-1' } }, centric);
  const before = await reports();
  const result = await api.query(REPORT, { input: { componentId: centricGateway, status: 'MAJOR_OUTAGE', cause: 'FAILURE', idempotencyKey: 'conflict-1' } }, centric);
  expect(result.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
  expect(await reports()).toBe(before);
});

test('a report older than the newest goes into history without changing the current status', async () => {
  await api.data(REPORT, { input: { componentId: centricGateway, status: 'OPERATIONAL', observedAt: new Date(Date.now() - 10_000).toISOString() } }, centric);
  const late = await api.data(REPORT, { input: { componentId: centricGateway, status: 'MAJOR_OUTAGE', cause: 'FAILURE', observedAt: new Date(Date.now() - 3_600_000).toISOString(), source: 'a delayed e-mail' } }, centric);
  expect(late.reportStatus).toMatchObject({ current: false, effectiveStatus: { status: 'OPERATIONAL' } });
  expect(await counterStatus('GM0534')).toBe('OPERATIONAL');
  const { component } = await api.data(`query($id: ID!) { component(id: $id) { statusHistory(first: 50) { edges { node { source } } } } }`, { id: centricGateway });
  expect(component.statusHistory.edges.map((e: { node: { source: string } }) => e.node.source)).toContain('a delayed e-mail');
});

test('two reports observed at the same moment from two connections: both kept, the same one current on every read', async () => {
  // Tilburg's gateway: its newest report is from 2020, so this moment is the newest observation.
  const tilburg: Viewer = { kind: 'organisation', organisationId: (await db.dataSource.query(`SELECT id FROM organisation WHERE cbs_code = 'GM0855'`))[0].id, role: 'OPERATOR', tokenId: 'tilburg' };
  const moment = new Date(Date.now() - 5_000).toISOString();
  const [a, b] = await Promise.all([
    api.data(REPORT, { input: { componentId: tilburgGateway, status: 'DEGRADED_PERFORMANCE', cause: 'FAILURE', observedAt: moment } }, tilburg),
    api.data(REPORT, { input: { componentId: tilburgGateway, status: 'UNDER_MAINTENANCE', cause: 'MAINTENANCE', observedAt: moment } }, tilburg),
  ]);
  expect(a.reportStatus.statusReport.id).not.toBe(b.reportStatus.statusReport.id);
  const [winner] = await db.dataSource.query(`SELECT status FROM status_report WHERE observed_at = $1 ORDER BY seq DESC LIMIT 1`, [moment]);
  // The one that arrived last was current when it was taken in (the other one too, if it was taken in first).
  expect([a, b].find((r) => r.reportStatus.statusReport.status === winner.status)!.reportStatus.current).toBe(true);
  for (let i = 0; i < 3; i++) {
    const { component } = await api.data(`query($id: ID!) { component(id: $id) { reportedStatus { status } effectiveStatus { status } } }`, { id: tilburgGateway });
    expect(component.reportedStatus.status).toBe(winner.status);
    expect(component.effectiveStatus.status).toBe(winner.status);
  }
});

test.each([
  [{ status: 'UNKNOWN' }, 'status'],
  [{ status: 'MAJOR_OUTAGE' }, 'cause'],
  [{ status: 'OPERATIONAL', cause: 'FAILURE' }, 'cause'],
  [{ status: 'OPERATIONAL', observedAt: '2099-01-01T00:00:00Z' }, 'observedAt'],
  [{ status: 'OPERATIONAL', observedAt: '1999-12-31T00:00:00Z' }, 'observedAt'],
  [{ status: 'OPERATIONAL', source: 'x'.repeat(2001) }, 'source'],
  [{ status: 'OPERATIONAL', reportedBy: 'x'.repeat(201) }, 'reportedBy'],
  [{ status: 'OPERATIONAL', idempotencyKey: '   ' }, 'idempotencyKey'],
  [{ status: 'OPERATIONAL', componentId: 'nonsense' }, 'componentId'],
])('bad input (case %#) is BAD_USER_INPUT naming the field, and writes nothing', async (fields, field) => {
  const before = await reports();
  const audit = await count(`SELECT count(*)::int AS count FROM audit_entry`);
  const result = await api.query(REPORT, { input: { componentId: centricGateway, ...fields } }, centric);
  expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  expect(await reports()).toBe(before);
  expect(await count(`SELECT count(*)::int AS count FROM audit_entry`)).toBe(audit);
});

test('only the operator (or a coordinator) reports on a component', async () => {
  const denied = [
    [hillegom, centricGateway],
    [hltsamen, centricGateway],
    [centric, tilburgGateway],
  ] as const;
  for (const [viewer, componentId] of denied) {
    const result = await api.query(REPORT, { input: { componentId, status: 'OPERATIONAL' } }, viewer);
    expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  }
  const anonymous = await api.query(REPORT, { input: { componentId: centricGateway, status: 'OPERATIONAL' } }, { kind: 'public' });
  expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
});

test('every report is in the audit trail with organisation, token and request', async () => {
  const { reportStatus } = await api.data(REPORT, { input: { componentId: centricGateway, status: 'OPERATIONAL', idempotencyKey: 'audited-1' } }, centric);
  const uuid = Buffer.from(reportStatus.statusReport.id, 'base64url').toString().split(':')[1];
  const rows = await db.dataSource.query(`SELECT organisation_id, token_id, operation, request_id FROM audit_entry WHERE entity_id = $1`, [uuid]);
  expect(rows).toEqual([{ organisation_id: (centric as { organisationId: string }).organisationId, token_id: 'centric-integration', operation: 'reportStatus', request_id: expect.any(String) }]);
});

test('a gateway that 9,500 services stand on goes down: one report, one change event each, in order', async () => {
  // Past 65,535 / 7 = 9,362 changes a row of parameters per event overflowed PostgreSQL's limit.
  const operator = (centric as { organisationId: string }).organisationId;
  const [{ id: gateway }] = await db.dataSource.query(
    `INSERT INTO component (kind, operator_id, name, product_vendor, product, version, internet_facing)
     VALUES ('GATEWAY', $1, 'Busy shared gateway', 'Citrix', 'ADC', '13.0', true) RETURNING id`, [operator]);
  const services: { id: string }[] = await db.dataSource.query(
    `INSERT INTO component (kind, operator_id, name, audience)
     SELECT 'SERVICE', $1, 'Hosted service ' || n, 'RESIDENTS' FROM generate_series(1, 9500) n RETURNING id`, [operator]);
  await db.dataSource.query(
    `INSERT INTO dependency (component_id, depends_on_id, kind) SELECT unnest($1::uuid[]), $2, 'REQUIRED'`, [services.map((s) => s.id), gateway]);
  await db.dataSource.query(
    `INSERT INTO status_report (component_id, status, observed_at, reporter_id, source)
     SELECT id, 'OPERATIONAL', now() - interval '1 hour', $1, 'setup' FROM component WHERE id = $2 OR name LIKE 'Hosted service %'`, [operator, gateway]);
  // Loaded around the API, as a bulk load is: the stored picture is judged from these facts again.
  await pictureKeeper.rebuild(db.dataSource.manager, new Date());
  const [{ last }] = await db.dataSource.query(`SELECT coalesce(max(position_end), 0)::bigint AS last FROM change_write`);

  const input = { componentId: Buffer.from(`Component:${gateway}`).toString('base64url'), status: 'MAJOR_OUTAGE', cause: 'PRECAUTIONARY_SHUTDOWN' };
  const { reportStatus } = await api.data(REPORT, { input }, centric);
  expect(reportStatus).toMatchObject({ replayed: false, current: true, effectiveStatus: { status: 'MAJOR_OUTAGE' } });

  const events: { component_id: string; status: string; previous_status: string; root_cause: string[] }[] = await db.dataSource.query(
    `SELECT e.component_id, e.status, e.previous_status, e.root_cause::text[] AS root_cause
       FROM change_write w JOIN change_event e ON e.write_id = w.id WHERE w.position_end > $1 ORDER BY w.position_end, e.n`, [last]);
  expect(events).toHaveLength(9501);
  expect(events[0]).toEqual({ component_id: gateway, status: 'MAJOR_OUTAGE', previous_status: 'OPERATIONAL', root_cause: [gateway] });
  const service = events.find((e) => e.component_id === services[4321].id);
  expect(service).toEqual({ component_id: services[4321].id, status: 'MAJOR_OUTAGE', previous_status: 'OPERATIONAL', root_cause: [services[4321].id, gateway] });
  expect(new Set(events.map((e) => e.component_id)).size).toBe(9501);
}, 120_000);
