import type { Role, Viewer } from '../../src/modules/access';
import { TestApi } from '../helpers/api';
import { openTestDatabase, TestDatabase } from '../helpers/database';
import { factories } from '../helpers/factories';

/**
 * The incident writes people need (issue 14): changing an incident's components, advisories and
 * expected restoration; acknowledgements by affected municipalities; retries that change nothing;
 * an event for every change. And who may (issue 15): only one's own components, only affected
 * municipalities. And TLP: what the public reads.
 */
let db: TestDatabase;
let api: TestApi;
const gid = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64url');
const as = (organisationId: string, role: Role): Viewer => ({ kind: 'organisation', organisationId, role, tokenId: `t-${organisationId}` });

let ncsc: Viewer;
let hltsamen: Viewer;
let centric: Viewer;
let hillegom: Viewer;
let tilburg: Viewer;
let hltGateway: string;
let centricServer: string;
let tilburgGateway: string;
let advisory: string;

const count = async (sql: string, params: unknown[] = []) => Number((await db.dataSource.query(sql, params))[0].n);
const events = (incidentId: string) => count(`SELECT count(*) AS n FROM change_event WHERE kind = 'INCIDENT' AND incident_id = $1`, [Buffer.from(incidentId, 'base64url').toString().split(':')[1]]);

const DECLARE = `mutation($input: DeclareIncidentInput!) { declareIncident(input: $input) { replayed incident { id revision tlp expectedRestorationAt affectedComponents { name } updates { kind message } } } }`;
const UPDATE = `mutation($input: UpdateIncidentInput!) { updateIncident(input: $input) { changed update { kind message } incident { revision title severity expectedRestorationAt affectedComponents { name } advisories { reference } updates { kind } } } }`;

beforeAll(async () => {
  db = await openTestDatabase();
  api = await new TestApi(db.dataSource).start();
  const make = factories(db.dataSource.manager);
  const org = async (kind: Parameters<typeof make.organisation>[0], name: string) => (await make.organisation(kind, { name })).id;
  const [ncscId, hltId, centricId, hillegomId, tilburgId] = [
    await org('COORDINATOR', 'NCSC'), await org('SHARED_SERVICE_ORGANISATION', 'HLTsamen'), await org('VENDOR', 'Centric'),
    await org('MUNICIPALITY', 'Hillegom'), await org('MUNICIPALITY', 'Tilburg'),
  ];
  ncsc = as(ncscId, 'COORDINATOR');
  hltsamen = as(hltId, 'OPERATOR');
  centric = as(centricId, 'VENDOR');
  hillegom = as(hillegomId, 'MUNICIPALITY');
  tilburg = as(tilburgId, 'MUNICIPALITY');
  hltGateway = (await make.component(hltId, 'GATEWAY', { name: 'HLTsamen Citrix Gateway' })).id;
  // Centric offers its hosted application and the server in front of it to its customers (README, "Access").
  centricServer = (await make.component(centricId, 'GATEWAY', { name: 'Centric Citrix server', offered: true })).id;
  tilburgGateway = (await make.component(tilburgId, 'GATEWAY', { name: 'Tilburg Citrix ADC' })).id;
  const counter = await make.service(hltId, [hillegomId], { name: 'Public counter' });
  const burgerzaken = await make.component(centricId, 'APPLICATION', { name: 'Burgerzaken', offered: true });
  await make.dependency(counter.id, burgerzaken.id);
  await make.dependency(burgerzaken.id, centricServer);
  await make.dependency(counter.id, hltGateway);
  const published = await api.data(`mutation { publishAdvisory(input: { reference: "NCSC-1", title: "Citrix", advice: SWITCH_OFF, affectedProducts: [{ productVendor: "Citrix", product: "ADC" }] }) { advisory { id } } }`, {}, ncsc);
  advisory = published.publishAdvisory.advisory.id;
});

afterAll(async () => {
  await api.stop();
  await db.close();
});

test('declaring: only one’s own components; an expected restoration; a retry with the same key declares once', async () => {
  const input = { title: 'Citrix off', severity: 'MAJOR', affectedComponentIds: [gid('Component', hltGateway)], message: 'Switched off', expectedRestorationAt: '2030-01-20T09:00:00+01:00', idempotencyKey: 'declare-1' };
  const first = (await api.data(DECLARE, { input }, hltsamen)).declareIncident;
  expect(first).toMatchObject({ replayed: false, incident: { revision: 1, tlp: 'AMBER', expectedRestorationAt: '2030-01-20T08:00:00.000Z', updates: [{ kind: 'UPDATE', message: 'Switched off' }] } });
  const before = await count(`SELECT count(*) AS n FROM incident`);
  const retry = (await api.data(DECLARE, { input }, hltsamen)).declareIncident;
  expect(retry).toMatchObject({ replayed: true, incident: { id: first.incident.id } });
  expect(await count(`SELECT count(*) AS n FROM incident`)).toBe(before);
  const reused = await api.query(DECLARE, { input: { ...input, title: 'Something else' } }, hltsamen);
  expect(reused.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
  // "Tilburg ADC compromised – switch off now", by somebody else: refused, nothing written.
  const foreign = await api.query(DECLARE, { input: { title: 'Tilburg ADC compromised – switch off now', severity: 'CRITICAL', affectedComponentIds: [gid('Component', tilburgGateway)], message: 'switch off now' } }, centric);
  expect(foreign.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  expect(await count(`SELECT count(*) AS n FROM incident`)).toBe(before);
  const bad = await api.query(DECLARE, { input: { ...input, idempotencyKey: null, startedAt: '2020-01-17T12:00:00+01:00', expectedRestorationAt: '2020-01-17T11:00:00+01:00' } }, hltsamen);
  expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'expectedRestorationAt' });
});

test('updateIncident: components, advisories, expected restoration, with the state after the write and an event for each change', async () => {
  const declared = (await api.data(DECLARE, { input: { title: 'Counter down', severity: 'MINOR', affectedComponentIds: [gid('Component', hltGateway)], message: 'm' } }, hltsamen)).declareIncident.incident;
  const eventsBefore = await events(declared.id);
  const changed = (await api.data(UPDATE, { input: {
    incidentId: declared.id, revision: 1, severity: 'CRITICAL', advisoryIds: [advisory], expectedRestorationAt: '2030-01-20T10:00:00+01:00',
  } }, hltsamen)).updateIncident;
  expect(changed).toMatchObject({ changed: true, update: null, incident: { revision: 2, severity: 'CRITICAL', expectedRestorationAt: '2030-01-20T09:00:00.000Z', advisories: [{ reference: 'NCSC-1' }] } });
  expect(await events(declared.id)).toBe(eventsBefore + 1);

  // The same again: nothing changes, no event, no CONFLICT for the old revision.
  const same = (await api.data(UPDATE, { input: { incidentId: declared.id, revision: 1, severity: 'CRITICAL', advisoryIds: [advisory] } }, hltsamen)).updateIncident;
  expect(same).toMatchObject({ changed: false, incident: { revision: 2 } });
  expect(await events(declared.id)).toBe(eventsBefore + 1);
  const stale = await api.query(UPDATE, { input: { incidentId: declared.id, revision: 1, title: 'Another title' } }, hltsamen);
  expect(stale.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'revision' });

  // HLTsamen may not add Centric's server; the coordinator may, and then Centric (an operator of an affected component) may write.
  const refused = await api.query(UPDATE, { input: { incidentId: declared.id, affectedComponentIds: [gid('Component', hltGateway), gid('Component', centricServer)] } }, hltsamen);
  expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  const added = (await api.data(UPDATE, { input: { incidentId: declared.id, affectedComponentIds: [gid('Component', hltGateway), gid('Component', centricServer)], message: 'Centric switched its server off too' } }, ncsc)).updateIncident;
  expect(added.incident.affectedComponents.map((c: { name: string }) => c.name).sort()).toEqual(['Centric Citrix server', 'HLTsamen Citrix Gateway']);
  expect(added.update).toEqual({ kind: 'UPDATE', message: 'Centric switched its server off too' });
  expect(await events(declared.id)).toBe(eventsBefore + 2);
  // Centric may clear its expected restoration, but not remove HLTsamen's gateway from an incident it did not declare.
  const cleared = (await api.data(UPDATE, { input: { incidentId: declared.id, expectedRestorationAt: null } }, centric)).updateIncident;
  expect(cleared.incident.expectedRestorationAt).toBeNull();
  const removal = await api.query(UPDATE, { input: { incidentId: declared.id, affectedComponentIds: [gid('Component', centricServer)] } }, centric);
  expect(removal.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  const relabel = await api.query(UPDATE, { input: { incidentId: declared.id, tlp: 'CLEAR' } }, centric);
  expect(relabel.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  const audit = await db.dataSource.query(`SELECT operation FROM audit_entry WHERE operation = 'updateIncident'`);
  expect(audit.length).toBe(3);
});

test('acknowledgements: an affected municipality, once per key; not an unaffected one, not an operator', async () => {
  const declared = (await api.data(DECLARE, { input: { title: 'Burgerzaken down', severity: 'MAJOR', affectedComponentIds: [gid('Component', centricServer)], message: 'Server off, precautionary' } }, centric)).declareIncident.incident;
  const ACK = `mutation($i: ID!, $k: String) { acknowledgeIncident(input: { incidentId: $i, message: "Counter staff inform residents", idempotencyKey: $k }) { replayed update { kind message author { name } } incident { updates { kind } } } }`;
  const eventsBefore = await events(declared.id);
  const first = (await api.data(ACK, { i: declared.id, k: 'ack-1' }, hillegom)).acknowledgeIncident;
  expect(first).toMatchObject({ replayed: false, update: { kind: 'ACKNOWLEDGEMENT', author: { name: 'Hillegom' } }, incident: { updates: [{ kind: 'UPDATE' }, { kind: 'ACKNOWLEDGEMENT' }] } });
  expect((await api.data(ACK, { i: declared.id, k: 'ack-1' }, hillegom)).acknowledgeIncident.replayed).toBe(true);
  expect(await events(declared.id)).toBe(eventsBefore + 1);
  expect((await api.query(ACK, { i: declared.id, k: null }, tilburg)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  expect((await api.query(ACK, { i: declared.id, k: null }, hltsamen)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  // Posting updates: the declarer, operators of affected components, coordinators; not another operator.
  const post = (viewer: Viewer) => api.query(`mutation($i: ID!) { postIncidentUpdate(input: { incidentId: $i, message: "m" }) { update { kind } } }`, { i: declared.id }, viewer);
  expect((await post(hltsamen)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  expect((await post(centric)).errors).toBeUndefined();
  expect((await post(ncsc)).errors).toBeUndefined();
});

test('TLP:CLEAR is public: the incident, its CLEAR updates and their authors; nothing else', async () => {
  const declared = (await api.data(DECLARE, { input: { title: 'Public counter closed', severity: 'MAJOR', tlp: 'CLEAR', affectedComponentIds: [gid('Component', hltGateway)], message: 'The counter is closed until Monday' } }, hltsamen)).declareIncident.incident;
  await api.data(`mutation($i: ID!) { postIncidentUpdate(input: { incidentId: $i, message: "Internal: SIEM shows nothing", tlp: AMBER }) { update { id } } }`, { i: declared.id }, hltsamen);
  await api.data(`mutation($i: ID!) { postIncidentUpdate(input: { incidentId: $i, message: "Appointments are moved", tlp: CLEAR }) { update { id } } }`, { i: declared.id }, hltsamen);
  const PUBLIC: Viewer = { kind: 'public' };
  const { incident } = await api.data(`query($i: ID!) { incident(id: $i) { title tlp declaredBy { name } updates { message author { name } } affectedComponents { name } } }`, { i: declared.id }, PUBLIC);
  expect(incident).toEqual({
    title: 'Public counter closed', tlp: 'CLEAR', declaredBy: { name: 'HLTsamen' },
    updates: [{ message: 'The counter is closed until Monday', author: { name: 'HLTsamen' } }, { message: 'Appointments are moved', author: { name: 'HLTsamen' } }],
    // A gateway is not a public thing, even in a public incident.
    affectedComponents: [],
  });
  const { incidents } = await api.data(`{ incidents(first: 50) { totalCount edges { node { title } } } }`, {}, PUBLIC);
  expect(incidents.edges.map((e: { node: { title: string } }) => e.node.title)).toEqual(['Public counter closed']);
  const amber = await api.query(`query($i: ID!) { incident(id: $i) { title } }`, { i: (await api.data(DECLARE, { input: { title: 'Quiet', severity: 'MINOR', affectedComponentIds: [gid('Component', hltGateway)], message: 'm' } }, hltsamen)).declareIncident.incident.id }, PUBLIC);
  expect(amber.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  // An organisation unrelated to the incident reads the AMBER update only if its picture holds the gateway: Hillegom does, Tilburg does not.
  const updatesFor = async (viewer: Viewer) => (await api.data(`query($i: ID!) { incident(id: $i) { updates { message } } }`, { i: declared.id }, viewer)).incident.updates.length;
  expect(await updatesFor(hillegom)).toBe(3);
  expect(await updatesFor(tilburg)).toBe(2);
});
