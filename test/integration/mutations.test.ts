import type { Viewer } from '../../src/modules/access';
import { loadDemoScenario } from '../../src/seed/demo-scenario';
import { TestApi } from '../helpers/api';
import { openTestDatabase, TestDatabase } from '../helpers/database';

/** The write path beyond status reports: topology, incidents, advisories. One transaction each. */
let db: TestDatabase;
let api: TestApi;
let ncsc: Viewer;
let hltsamen: Viewer;
let centric: Viewer;
const gid = (type: string, uuid: string) => Buffer.from(`${type}:${uuid}`).toString('base64url');
const uuidOf = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];
const rows = async (table: string) => (await db.dataSource.query(`SELECT count(*)::int AS count FROM ${table}`))[0].count as number;

beforeAll(async () => {
  db = await openTestDatabase();
  await db.dataSource.transaction((manager) => loadDemoScenario(manager));
  api = await new TestApi(db.dataSource).start();
  const org = async (name: string) => (await db.dataSource.query(`SELECT id FROM organisation WHERE name LIKE $1`, [`${name}%`]))[0].id as string;
  ncsc = { kind: 'organisation', organisationId: await org('NCSC'), role: 'COORDINATOR', tokenId: 'ncsc' };
  hltsamen = { kind: 'organisation', organisationId: await org('HLTsamen'), role: 'OPERATOR', tokenId: 'hltsamen' };
  centric = { kind: 'organisation', organisationId: await org('Centric'), role: 'VENDOR', tokenId: 'centric' };
});
afterAll(async () => {
  await api.stop();
  await db.close();
});

async function application(name: string, as: Viewer = hltsamen): Promise<string> {
  const { registerComponent } = await api.data(`mutation($n: String!) { registerComponent(input: { kind: APPLICATION, name: $n }) { component { id operator { name } } } }`, { n: name }, as);
  return registerComponent.component.id;
}
const depend = (componentId: string, dependsOnId: string, as: Viewer = hltsamen) =>
  api.query(`mutation($c: ID!, $d: ID!) { addDependency(input: { componentId: $c, dependsOnId: $d, kind: REQUIRED }) { dependency { id } } }`, { c: componentId, d: dependsOnId }, as);

test('an edge that would close a cycle is refused, naming the cycle, and nothing is written', async () => {
  const a = await application('Cycle A');
  const b = await application('Cycle B');
  const c = await application('Cycle C');
  expect((await depend(a, b)).errors).toBeUndefined();
  expect((await depend(b, c)).errors).toBeUndefined();
  const before = await rows('dependency');
  const refused = await depend(c, a);
  expect(refused.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'dependsOnId' });
  expect(refused.errors?.[0].message).toContain('Cycle C → Cycle A → Cycle B → Cycle C');
  expect(await rows('dependency')).toBe(before);
  expect((await depend(a, a)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  expect((await depend(a, b)).errors?.[0].extensions?.code).toBe('CONFLICT');
});

test('two edges that together would close a cycle, added at once: one wins, the other is refused', async () => {
  const x = await application('Race X');
  const y = await application('Race Y');
  const [first, second] = await Promise.all([depend(x, y), depend(y, x)]);
  const codes = [first, second].map((r) => r.errors?.[0].extensions?.code ?? 'OK').sort();
  expect(codes).toEqual(['BAD_USER_INPUT', 'OK']);
});

test('a removed dependency still counts for the past (asOf), and no longer for now', async () => {
  const gateway = (await db.dataSource.query(`SELECT id FROM component WHERE name = 'HLTsamen Citrix Gateway'`))[0].id;
  const app = await application('Behind the gateway');
  const added = await depend(app, gid('Component', gateway));
  await api.data(`mutation($id: ID!) { reportStatus(input: { componentId: $id, status: MAJOR_OUTAGE, cause: FAILURE, observedAt: "${new Date(Date.now() - 60_000).toISOString()}" }) { current } }`, { id: gid('Component', gateway) }, hltsamen);
  const beforeRemoval = new Date().toISOString();
  await new Promise((resolve) => setTimeout(resolve, 20));
  const removed = await api.data(`mutation($id: ID!) { removeDependency(input: { dependencyId: $id }) { dependency { removedAt } } }`, { id: added.data.addDependency.dependency.id }, hltsamen);
  expect(removed.removeDependency.dependency.removedAt).not.toBeNull();
  const again = await api.data(`mutation($id: ID!) { removeDependency(input: { dependencyId: $id }) { dependency { removedAt } } }`, { id: added.data.addDependency.dependency.id }, hltsamen);
  expect(again.removeDependency.dependency.removedAt).toBe(removed.removeDependency.dependency.removedAt);
  const { component } = await api.data(`query($id: ID!, $then: DateTime!) { component(id: $id) { then: effectiveStatus(asOf: $then) { status } now: effectiveStatus { status } } }`, { id: app, then: beforeRemoval });
  expect(component.then.status).toBe('MAJOR_OUTAGE');
  expect(component.now.status).toBe('UNKNOWN');
  await api.data(`mutation($id: ID!) { reportStatus(input: { componentId: $id, status: OPERATIONAL }) { current } }`, { id: gid('Component', gateway) }, hltsamen);
});

test('updateComponent refuses a stale revision, so two operators never lose an update silently', async () => {
  const id = await application('Edited twice');
  const update = (description: string) => api.query(`mutation($id: ID!, $d: String) { updateComponent(input: { componentId: $id, revision: 1, description: $d }) { component { revision description } } }`, { id, d: description }, hltsamen);
  const [a, b] = await Promise.all([update('first editor'), update('second editor')]);
  const outcomes = [a, b].map((r) => r.errors?.[0].extensions?.code ?? r.data!.updateComponent.component.revision).sort();
  expect(outcomes).toEqual([2, 'CONFLICT']);
  const { component } = await api.data(`query($id: ID!) { component(id: $id) { revision description } }`, { id });
  expect(component.revision).toBe(2);
  expect(['first editor', 'second editor']).toContain(component.description);
});

test.each([
  ['a gateway without its product', `{ kind: GATEWAY, name: "g", productVendor: "Citrix", internetFacing: true }`, 'product'],
  ['a service without its audience', `{ kind: SERVICE, name: "s" }`, 'audience'],
  ['an application with an audience', `{ kind: APPLICATION, name: "a", audience: STAFF }`, 'audience'],
  ['a heartbeat of one second', `{ kind: APPLICATION, name: "a", heartbeatSeconds: 1 }`, 'heartbeatSeconds'],
  ['an empty name', `{ kind: APPLICATION, name: "  " }`, 'name'],
  ['a service delivered to a vendor', `{ kind: SERVICE, name: "s", audience: RESIDENTS, deliveredTo: ["CENTRIC"] }`, 'deliveredTo'],
])('registerComponent refuses %s and writes nothing', async (_what, input, field) => {
  const centricId = gid('Organisation', (centric as { organisationId: string }).organisationId);
  const before = await rows('component');
  const result = await api.query(`mutation { registerComponent(input: ${input.replace('CENTRIC', centricId)}) { component { id } } }`, {}, hltsamen);
  expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  expect(await rows('component')).toBe(before);
});

test('a service registered for municipalities appears on their dashboards', async () => {
  const lisse = gid('Organisation', (await db.dataSource.query(`SELECT id FROM organisation WHERE cbs_code = 'GM0553'`))[0].id);
  await api.data(`mutation($m: ID!) { registerComponent(input: { kind: SERVICE, name: "Waste collection calendar", audience: RESIDENTS, deliveredTo: [$m] }) { component { id } } }`, { m: lisse }, hltsamen);
  const { municipality } = await api.data(`{ municipality(cbsCode: "GM0553") { services { service { name } status } } }`, {}, { kind: 'public' });
  expect(municipality.services).toContainEqual({ service: { name: 'Waste collection calendar' }, status: 'UNKNOWN' });
});

test('registerOrganisation and addMembership (a coordinator’s) refuse duplicates with CONFLICT', async () => {
  const duplicate = await api.query(`mutation { registerOrganisation(input: { kind: MUNICIPALITY, name: "Hillegom again", cbsCode: "GM0534", population: 1 }) { organisation { id } } }`, {}, ncsc);
  expect(duplicate.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'cbsCode' });
  const noPopulation = await api.query(`mutation { registerOrganisation(input: { kind: MUNICIPALITY, name: "Somewhere", cbsCode: "GM0999" }) { organisation { id } } }`, {}, ncsc);
  expect(noPopulation.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'population' });
  const { registerOrganisation } = await api.data(`mutation { registerOrganisation(input: { kind: MUNICIPALITY, name: "Noordwijk", cbsCode: "GM0575", population: 26000 }) { organisation { id } } }`, {}, ncsc);
  const sso = gid('Organisation', (hltsamen as { organisationId: string }).organisationId);
  const join = (startsOn: string, endsOn: string | null) => api.query(`mutation($s: ID!, $m: ID!, $from: Date!, $to: Date) { addMembership(input: { sharedServiceOrganisationId: $s, municipalityId: $m, startsOn: $from, endsOn: $to }) { membership { startsOn endsOn } } }`,
    { s: sso, m: registerOrganisation.organisation.id, from: startsOn, to: endsOn }, ncsc);
  expect((await join('2021-01-01', '2021-12-31')).errors).toBeUndefined();
  expect((await join('2021-06-01', null)).errors?.[0].extensions?.code).toBe('CONFLICT');
  expect((await join('2022-01-01', null)).errors).toBeUndefined();
  expect((await join('2023-01-01', '2022-01-01')).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'endsOn' });
});

test('an incident’s life: declared, updated, cleared by the vendor, resolved; then closed to updates', async () => {
  const id = async (name: string) => gid('Component', (await db.dataSource.query(`SELECT id FROM component WHERE name = $1`, [name]))[0].id);
  const [hltGateway, centricGateway] = [await id('HLTsamen Citrix Gateway'), await id('Centric Citrix server')];
  const { declareIncident } = await api.data(`mutation($c: ID!) { declareIncident(input: { title: "Citrix again", severity: MAJOR, affectedComponentIds: [$c], message: "Switched off, precautionary", source: "memo" }) { incident { id state updates { message author { name } } } } }`, { c: hltGateway }, hltsamen);
  const incident = declareIncident.incident;
  expect(incident).toMatchObject({ state: 'INVESTIGATING', updates: [{ message: 'Switched off, precautionary', author: { name: 'HLTsamen' } }] });
  // Centric's server joins the incident through a coordinator: HLTsamen may not name another organisation's component.
  const joined = await api.data(`mutation($i: ID!, $a: ID!, $b: ID!) { updateIncident(input: { incidentId: $i, affectedComponentIds: [$a, $b] }) { changed incident { affectedComponents { name } } } }`, { i: incident.id, a: hltGateway, b: centricGateway }, ncsc);
  expect(joined.updateIncident.changed).toBe(true);
  const update = await api.data(`mutation($i: ID!) { postIncidentUpdate(input: { incidentId: $i, message: "Cause known", state: IDENTIFIED }) { incident { state } } }`, { i: incident.id }, hltsamen);
  expect(update.postIncidentUpdate.incident.state).toBe('IDENTIFIED');
  const clearance = await api.data(`mutation($i: ID!) { issueClearance(input: { incidentId: $i, message: "Green light from Centric" }) { update { kind author { name } } incident { state } } }`, { i: incident.id }, centric);
  expect(clearance.issueClearance).toMatchObject({ update: { kind: 'CLEARANCE', author: { name: 'Centric' } }, incident: { state: 'MONITORING' } });
  const resolved = await api.data(`mutation($i: ID!) { resolveIncident(input: { incidentId: $i, message: "All back" }) { incident { state resolvedAt updates { kind state } } } }`, { i: incident.id }, hltsamen);
  expect(resolved.resolveIncident.incident.state).toBe('RESOLVED');
  expect(resolved.resolveIncident.incident.updates.map((u: { state: string }) => u.state)).toEqual(['INVESTIGATING', 'IDENTIFIED', 'MONITORING', 'RESOLVED']);
  const late = await api.query(`mutation($i: ID!) { postIncidentUpdate(input: { incidentId: $i, message: "one more" }) { incident { state } } }`, { i: incident.id }, hltsamen);
  expect(late.errors?.[0].extensions?.code).toBe('CONFLICT');
});

test('publishAdvisory: a new advisory’s exposure is computed at once; references and CVE ids are checked', async () => {
  const publish = (reference: string, cve: string) => api.query(`mutation($r: String!, $c: String!) { publishAdvisory(input: { reference: $r, title: "Citrix ADC", advice: PATCH, cvssScore: 9.8, cveIds: [$c],
    affectedProducts: [{ productVendor: "citrix", product: "adc", versionFrom: "12.1", versionTo: "12.1.54" }] }) { advisory { reference exposure { totalCount byStatus { gateways { name } } } } } }`, { r: reference, c: cve }, ncsc);
  const published = await publish('NCSC-TEST-1', 'CVE-2019-19781');
  expect(published.errors).toBeUndefined();
  const names = published.data!.publishAdvisory.advisory.exposure.byStatus.flatMap((g: { gateways: { name: string }[] }) => g.gateways.map((x) => x.name));
  expect(names).toEqual(['Centric Citrix server']);
  expect((await publish('NCSC-TEST-1', 'CVE-2019-19781')).errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'reference' });
  expect((await publish('NCSC-TEST-2', 'CVE-19781')).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'cveIds' });
});

test('the audit trail shows who did what, newest first, to coordinators only', async () => {
  const { auditTrail } = await api.data(`{ auditTrail(first: 100) { totalCount edges { node { operation organisation { name } tokenId entityId } } } }`, {}, ncsc);
  expect(auditTrail.totalCount).toBeGreaterThan(10);
  const operations = new Set(auditTrail.edges.map((e: { node: { operation: string } }) => e.node.operation));
  for (const op of ['registerComponent', 'addDependency', 'removeDependency', 'updateComponent', 'declareIncident', 'issueClearance', 'resolveIncident', 'publishAdvisory', 'registerOrganisation', 'addMembership']) {
    expect(operations).toContain(op);
  }
  expect(auditTrail.edges[0].node).toMatchObject({ operation: 'publishAdvisory', organisation: { name: expect.stringMatching(/^NCSC/) }, tokenId: 'ncsc' });
  const refused = await api.query(`{ auditTrail { totalCount } }`, {}, hltsamen);
  expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
});

describe('every input is checked, and a refusal writes nothing', () => {
  const hltGatewayId = async () => gid('Component', (await db.dataSource.query(`SELECT id FROM component WHERE name = 'HLTsamen Citrix Gateway'`))[0].id);
  const tables = ['incident', 'incident_update', 'advisory', 'advisory_affected_product', 'audit_entry'];
  const snapshot = async () => Promise.all(tables.map(rows));

  test.each([
    ['an empty title', `title: " ", severity: MINOR, affectedComponentIds: [$c], message: "m"`, 'title'],
    ['no affected component', `title: "t", severity: MINOR, affectedComponentIds: [], message: "m"`, 'affectedComponentIds'],
    ['an incident that starts resolved', `title: "t", severity: MINOR, state: RESOLVED, affectedComponentIds: [$c], message: "m"`, 'state'],
    ['a start in the future', `title: "t", severity: MINOR, startedAt: "2099-01-01T00:00:00Z", affectedComponentIds: [$c], message: "m"`, 'startedAt'],
    ['an empty message', `title: "t", severity: MINOR, affectedComponentIds: [$c], message: ""`, 'message'],
    ['a title of 301 characters', `title: "${'x'.repeat(301)}", severity: MINOR, affectedComponentIds: [$c], message: "m"`, 'title'],
  ])('declareIncident refuses %s', async (_what, fields, field) => {
    const before = await snapshot();
    const usesComponent = fields.includes('$c');
    const result = usesComponent
      ? await api.query(`mutation($c: ID!) { declareIncident(input: { ${fields} }) { incident { id } } }`, { c: await hltGatewayId() }, hltsamen)
      : await api.query(`mutation { declareIncident(input: { ${fields} }) { incident { id } } }`, {}, hltsamen);
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await snapshot()).toEqual(before);
  });

  test('postIncidentUpdate refuses RESOLVED as a state (resolveIncident is for that) and an unknown incident', async () => {
    const { declareIncident } = await api.data(`mutation($c: ID!) { declareIncident(input: { title: "t", severity: MINOR, affectedComponentIds: [$c], message: "m" }) { incident { id } } }`, { c: await hltGatewayId() }, hltsamen);
    const before = await snapshot();
    const resolved = await api.query(`mutation($i: ID!) { postIncidentUpdate(input: { incidentId: $i, message: "m", state: RESOLVED }) { incident { id } } }`, { i: declareIncident.incident.id }, hltsamen);
    expect(resolved.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'state' });
    const unknown = await api.query(`mutation($i: ID!) { postIncidentUpdate(input: { incidentId: $i, message: "m" }) { incident { id } } }`, { i: gid('Incident', '00000000-0000-4000-8000-000000000000') }, hltsamen);
    expect(unknown.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'incidentId' });
    expect(await snapshot()).toEqual(before);
  });

  test.each([
    ['a CVSS score above 10', `cvssScore: 10.5`, 'cvssScore'],
    ['no affected product', `affectedProducts: []`, 'affectedProducts'],
    ['a range that ends before it starts', `affectedProducts: [{ productVendor: "Citrix", product: "ADC", versionFrom: "13.0", versionTo: "12.1" }]`, 'affectedProducts.versionTo'],
    ['a publication in the future', `publishedAt: "2099-01-01T00:00:00Z"`, 'publishedAt'],
    ['an empty reference', `reference: ""`, 'reference'],
  ])('publishAdvisory refuses %s', async (_what, override, field) => {
    const fields: Record<string, string> = {
      reference: `reference: "REF-${Math.random()}"`, title: `title: "t"`, advice: `advice: PATCH`,
      affectedProducts: `affectedProducts: [{ productVendor: "Citrix", product: "ADC" }]`,
    };
    fields[override.split(':')[0]] = override;
    const before = await snapshot();
    const result = await api.query(`mutation { publishAdvisory(input: { ${Object.values(fields).join(', ')} }) { advisory { id } } }`, {}, ncsc);
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await snapshot()).toEqual(before);
  });
});
