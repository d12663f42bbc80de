import type { Viewer } from '../../src/modules/access';
import { loadDemoScenario } from '../../src/seed/demo-scenario';
import { TestApi } from '../helpers/api';
import { openTestDatabase, TestDatabase } from '../helpers/database';

/**
 * Consent for relations that cross organisations (issue 15, docs/access.md): the three writes the
 * issue found open, now asked for and pending until the other party accepts; offers; and the
 * decisions on a request.
 */
let db: TestDatabase;
let api: TestApi;
const viewers = new Map<string, Viewer>();
const ids = new Map<string, string>();
const gid = (type: string, uuid: string) => Buffer.from(`${type}:${uuid}`).toString('base64url');
const as = (name: string) => viewers.get(name)!;

const DASHBOARD = `query($cbs: String!) { municipality(cbsCode: $cbs) { services { service { name } status cause rootCause { name } } } }`;
const PUBLIC_PAGE = `query($cbs: String!) { municipality(cbsCode: $cbs) { services { service { name } status cause since } } }`;

beforeAll(async () => {
  db = await openTestDatabase();
  await db.dataSource.transaction((manager) => loadDemoScenario(manager));
  api = await new TestApi(db.dataSource).start();
  const [mallory] = await db.dataSource.query(`INSERT INTO organisation (kind, name) VALUES ('VENDOR', 'Mallory Hosting') RETURNING id`);
  const org = async (name: string) => (await db.dataSource.query(`SELECT id FROM organisation WHERE name LIKE $1`, [`${name}%`]))[0].id as string;
  const viewer = (organisationId: string, role: 'MUNICIPALITY' | 'OPERATOR' | 'VENDOR' | 'COORDINATOR'): Viewer => ({ kind: 'organisation', organisationId, role, tokenId: `consent-${role}` });
  viewers.set('mallory', viewer(mallory.id, 'VENDOR'));
  viewers.set('tilburg', viewer(await org('Tilburg'), 'MUNICIPALITY'));
  viewers.set('tilburg operator', viewer(await org('Tilburg'), 'OPERATOR'));
  viewers.set('hillegom', viewer(await org('Hillegom'), 'MUNICIPALITY'));
  viewers.set('hltsamen', viewer(await org('HLTsamen'), 'OPERATOR'));
  viewers.set('centric', viewer(await org('Centric'), 'VENDOR'));
  viewers.set('ncsc', viewer(await org('NCSC'), 'COORDINATOR'));
  for (const name of ['Tilburg', 'Hillegom', 'HLTsamen']) ids.set(name, gid('Organisation', await org(name)));
  const components: { id: string; name: string }[] = await db.dataSource.query(`SELECT id, name FROM component`);
  for (const c of components) ids.set(c.name + (ids.has(c.name) ? ' (HLTsamen)' : ''), gid('Component', c.id));
  const [tilburgAppointments] = await db.dataSource.query(
    `SELECT c.id FROM component c JOIN organisation o ON o.id = c.operator_id WHERE c.name = 'Online appointments' AND o.name = 'Tilburg'`);
  ids.set('Tilburg online appointments', gid('Component', tilburgAppointments.id));
});
afterAll(async () => {
  await api.stop();
  await db.close();
});

async function probe(name: string, viewer = as('mallory'), kind = 'APPLICATION'): Promise<string> {
  const { registerComponent } = await api.data(`mutation($n: String!, $k: ComponentKind!) { registerComponent(input: { kind: $k, name: $n }) { component { id } } }`, { n: name, k: kind }, viewer);
  return registerComponent.component.id;
}
const depend = (componentId: string, dependsOnId: string, viewer = as('mallory')) =>
  api.query(`mutation($c: ID!, $d: ID!) { addDependency(input: { componentId: $c, dependsOnId: $d, kind: OPTIONAL }) { dependency { id } } }`, { c: componentId, d: dependsOnId }, viewer);
const askDependency = async (componentId: string, dependsOnId: string, viewer = as('mallory')) =>
  (await api.data(`mutation($c: ID!, $d: ID!) { requestDependency(input: { componentId: $c, dependsOnId: $d, kind: OPTIONAL, note: "We host your forms" }) { request { id state awaiting { name } } } }`,
    { c: componentId, d: dependsOnId }, viewer)).requestDependency.request;
const decide = (verb: 'accept' | 'decline' | 'withdraw', requestId: string, viewer: Viewer) =>
  api.query(`mutation($id: ID!) { ${verb}RelationRequest(input: { requestId: $id }) { request { state decidedBy { name } dependency { id } membership { id } } } }`, { id: requestId }, viewer);
const requestsOf = async (viewer: Viewer) =>
  (await api.data(`{ relationRequests(state: PENDING) { edges { node { id kind requestedBy { name } awaiting { name } component { name } dependsOn { name } municipality { name } note } } } }`, {}, viewer))
    .relationRequests.edges.map((e: { node: unknown }) => e.node);
const count = async (table: string) => (await db.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n as number;

test('a dependency on another organisation’s component is asked for, pending until accepted, and changes nobody’s picture meanwhile', async () => {
  const tilburgBefore = await api.data(DASHBOARD, { cbs: 'GM0855' }, as('tilburg'));
  const probeId = await probe('probe');
  const target = ids.get('Tilburg online appointments')!;

  const refused = await depend(probeId, target);
  expect(refused.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', field: 'dependsOnId' });
  expect(refused.errors?.[0].message).toMatch(/requestDependency/);

  const dependencies = await count('dependency');
  const request = await askDependency(probeId, target);
  expect(request).toMatchObject({ state: 'PENDING', awaiting: { name: 'Tilburg' } });
  expect((await askDependency(probeId, target)).id).toBe(request.id);
  expect(await count('dependency')).toBe(dependencies);

  // Both parties see it, each with the other's names; nobody else does.
  const seenByTilburg = await requestsOf(as('tilburg'));
  expect(seenByTilburg).toContainEqual(expect.objectContaining({ id: request.id, requestedBy: { name: 'Mallory Hosting' }, component: { name: 'probe' }, dependsOn: { name: 'Online appointments' }, note: 'We host your forms' }));
  expect((await requestsOf(as('mallory'))).map((r: { id: string }) => r.id)).toContain(request.id);
  expect((await requestsOf(as('hillegom'))).map((r: { id: string }) => r.id)).not.toContain(request.id);
  const stranger = await api.query(`query($id: ID!) { node(id: $id) { id } }`, { id: request.id }, as('hillegom'));
  expect(stranger.errors?.[0].extensions?.code).toBe('FORBIDDEN');

  // The probe reads nothing of Tilburg's; Tilburg's dashboard is as it was.
  const probeRead = await api.data(`query($id: ID!) { component(id: $id) { dependsOn { id } effectiveStatus { rootCause { name } } } }`, { id: probeId }, as('mallory'));
  expect(probeRead.component).toEqual({ dependsOn: [], effectiveStatus: { rootCause: [] } });
  const tilburgGateway = await api.query(`query($id: ID!) { component(id: $id) { name } }`, { id: ids.get('Tilburg Citrix ADC') }, as('mallory'));
  expect(tilburgGateway.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  expect(await api.data(DASHBOARD, { cbs: 'GM0855' }, as('tilburg'))).toEqual(tilburgBefore);

  // Only the asked decides; declining leaves nothing behind.
  expect((await decide('accept', request.id, as('mallory'))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  const declined = await decide('decline', request.id, as('tilburg'));
  expect(declined.data?.declineRelationRequest.request).toMatchObject({ state: 'DECLINED', decidedBy: { name: 'Tilburg' }, dependency: null });
  expect((await decide('decline', request.id, as('tilburg'))).errors).toBeUndefined();
  expect((await decide('accept', request.id, as('tilburg'))).errors?.[0].extensions?.code).toBe('CONFLICT');
  expect(await count('dependency')).toBe(dependencies);
});

test('accepted, the dependency is in force from then, and shows the dependant the component, not what stands behind it', async () => {
  const probeId = await probe('accepted probe');
  const target = ids.get('Tilburg online appointments')!;
  const request = await askDependency(probeId, target);
  const accepted = await decide('accept', request.id, as('tilburg operator'));
  expect(accepted.data?.acceptRelationRequest.request).toMatchObject({ state: 'ACCEPTED', decidedBy: { name: 'Tilburg' } });
  // The awaited party may not read the dependant's side of the edge: the field is null for it, not an error.
  expect(accepted.data?.acceptRelationRequest.request.dependency).toBeNull();
  expect((await requestsOf(as('mallory'))).map((r: { id: string }) => r.id)).not.toContain(request.id);

  const read = await api.data(`query($id: ID!) { component(id: $id) { dependsOn { dependsOn { name effectiveStatus { status } dependsOn { dependsOn { name } } } }
    effectiveStatus { status rootCause { name } rootCauseReport { note } } } }`, { id: probeId }, as('mallory'));
  const [edge] = read.component.dependsOn;
  expect(edge.dependsOn.name).toBe('Online appointments');
  // Behind Tilburg's service: its resident log-in and its Citrix ADC, neither of them offered.
  expect(edge.dependsOn.dependsOn).toEqual([]);
  expect(read.component.effectiveStatus.rootCause.map((c: { name: string }) => c.name)).not.toContain('Tilburg Citrix ADC');
  expect(read.component.effectiveStatus.rootCauseReport).toBeNull();
  const gateway = await api.query(`query($id: ID!) { component(id: $id) { name } }`, { id: ids.get('Tilburg Citrix ADC') }, as('mallory'));
  expect(gateway.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  // An incident on Tilburg's gateway stays Tilburg's to declare.
  const incident = await api.query(`mutation($id: ID!) { declareIncident(input: { title: "Tilburg ADC compromised – switch off now", severity: CRITICAL, affectedComponentIds: [$id], message: "!" }) { incident { id } } }`,
    { id: ids.get('Tilburg Citrix ADC') }, as('mallory'));
  expect(incident.errors?.[0].extensions?.code).toBe('FORBIDDEN');
});

test('an accepted request whose relation cannot be made (a cycle) stays pending, and nothing is written', async () => {
  const a = await probe('cycle a', as('tilburg operator'));
  const b = await probe('cycle b');
  expect((await depend(a, b, as('tilburg operator'))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  const request = await askDependency(b, a);
  const tilburgAsks = (await api.data(`mutation($c: ID!, $d: ID!) { requestDependency(input: { componentId: $c, dependsOnId: $d, kind: REQUIRED }) { request { id } } }`,
    { c: a, d: b }, as('tilburg operator'))).requestDependency.request;
  expect((await decide('accept', request.id, as('tilburg operator'))).errors).toBeUndefined();
  const dependencies = await count('dependency');
  const cycle = await decide('accept', tilburgAsks.id, as('mallory'));
  expect(cycle.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'dependsOnId' });
  expect(await count('dependency')).toBe(dependencies);
  expect((await requestsOf(as('mallory'))).map((r: { id: string }) => r.id)).toContain(tilburgAsks.id);
  expect((await decide('withdraw', tilburgAsks.id, as('mallory'))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  expect((await decide('withdraw', tilburgAsks.id, as('tilburg operator'))).data?.withdrawRelationRequest.request.state).toBe('WITHDRAWN');
});

test('no fake services on a municipality’s page: a delivery needs the municipality’s consent', async () => {
  const before = await api.data(PUBLIC_PAGE, { cbs: 'GM0534' }, { kind: 'public' });
  const fake = await api.query(`mutation($m: ID!) { registerComponent(input: { kind: SERVICE, name: "Public counter (burgerzaken)", audience: RESIDENTS, deliveredTo: [$m] }) { component { id } } }`,
    { m: ids.get('Hillegom') }, as('mallory'));
  expect(fake.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', field: 'deliveredTo' });
  expect(fake.data).toBeNull();
  const { registerComponent } = await api.data(`mutation { registerComponent(input: { kind: SERVICE, name: "Forms portal", audience: RESIDENTS }) { component { id revision } } }`, {}, as('mallory'));
  const update = await api.query(`mutation($id: ID!, $r: Int!, $m: ID!) { updateComponent(input: { componentId: $id, revision: $r, deliveredTo: [$m] }) { component { id } } }`,
    { id: registerComponent.component.id, r: registerComponent.component.revision, m: ids.get('Hillegom') }, as('mallory'));
  expect(update.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', field: 'deliveredTo' });

  const { requestDelivery } = await api.data(`mutation($id: ID!, $m: ID!) { requestDelivery(input: { serviceId: $id, municipalityId: $m }) { request { id state awaiting { name } } } }`,
    { id: registerComponent.component.id, m: ids.get('Hillegom') }, as('mallory'));
  expect(requestDelivery.request).toMatchObject({ state: 'PENDING', awaiting: { name: 'Hillegom' } });
  expect(await api.data(PUBLIC_PAGE, { cbs: 'GM0534' }, { kind: 'public' })).toEqual(before);

  expect((await decide('accept', requestDelivery.request.id, as('hltsamen'))).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  expect((await decide('accept', requestDelivery.request.id, as('hillegom'))).errors).toBeUndefined();
  const after = await api.data(PUBLIC_PAGE, { cbs: 'GM0534' }, { kind: 'public' });
  expect(after.municipality.services.map((s: { service: { name: string } }) => s.service.name)).toContain('Forms portal');

  // HLTsamen delivers to the municipalities it serves without asking, and to no other.
  const served = await api.query(`mutation($m: ID!) { registerComponent(input: { kind: SERVICE, name: "Waste calendar", audience: RESIDENTS, deliveredTo: [$m] }) { component { id } } }`,
    { m: ids.get('Hillegom') }, as('hltsamen'));
  expect(served.errors).toBeUndefined();
  const notServed = await api.query(`mutation($m: ID!) { registerComponent(input: { kind: SERVICE, name: "Waste calendar", audience: RESIDENTS, deliveredTo: [$m] }) { component { id } } }`,
    { m: ids.get('Tilburg') }, as('hltsamen'));
  expect(notServed.errors?.[0].extensions?.code).toBe('FORBIDDEN');
});

test('a membership is asked for, and only once accepted does the shared-service organisation see the municipality’s picture', async () => {
  const direct = await api.query(`mutation($s: ID!, $m: ID!) { addMembership(input: { sharedServiceOrganisationId: $s, municipalityId: $m, startsOn: "2026-01-01" }) { membership { id } } }`,
    { s: ids.get('HLTsamen'), m: ids.get('Tilburg') }, as('hltsamen'));
  expect(direct.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  const gatewayQuery = `query($id: ID!) { component(id: $id) { name ... on Gateway { version } } }`;
  expect((await api.query(gatewayQuery, { id: ids.get('Tilburg Citrix ADC') }, as('hltsamen'))).errors?.[0].extensions?.code).toBe('FORBIDDEN');

  const { requestMembership } = await api.data(`mutation($s: ID!, $m: ID!) { requestMembership(input: { sharedServiceOrganisationId: $s, municipalityId: $m, startsOn: "2026-01-01" }) { request { id state awaiting { name } } } }`,
    { s: ids.get('HLTsamen'), m: ids.get('Tilburg') }, as('hltsamen'));
  expect(requestMembership.request).toMatchObject({ state: 'PENDING', awaiting: { name: 'Tilburg' } });
  expect((await api.query(gatewayQuery, { id: ids.get('Tilburg Citrix ADC') }, as('hltsamen'))).errors?.[0].extensions?.code).toBe('FORBIDDEN');

  const accepted = await decide('accept', requestMembership.request.id, as('tilburg'));
  expect(accepted.data?.acceptRelationRequest.request.membership).not.toBeNull();
  expect((await api.data(gatewayQuery, { id: ids.get('Tilburg Citrix ADC') }, as('hltsamen'))).component).toEqual({ name: 'Tilburg Citrix ADC', version: '13.0.47.22' });
});

test('an offered component: depended on without asking, seen for its status, not for its version or what stands behind it', async () => {
  const probeId = await probe('customer of Centric');
  expect((await depend(probeId, ids.get('Burgerzaken application (Centric)')!)).errors).toBeUndefined();
  const read = await api.data(`query($id: ID!) { component(id: $id) { dependsOn { dependsOn { name effectiveStatus { status } dependsOn { dependsOn { name ... on Gateway { version } } } } } } }`,
    { id: probeId }, as('mallory'));
  const application = read.component.dependsOn[0].dependsOn;
  expect(application.name).toBe('Burgerzaken application (Centric)');
  // Centric offers the server too: its status is shown, its version is Centric's.
  expect(application.dependsOn).toEqual([{ dependsOn: { name: 'Centric Citrix server', version: null } }]);
  const own = await api.data(`query($id: ID!) { component(id: $id) { ... on Gateway { version } } }`, { id: ids.get('Centric Citrix server') }, as('centric'));
  expect(own.component.version).toBe('12.1.50.28');
  // Centric does not learn who its new customer is from the API: the dependant lies outside its picture.
  const dependents = await api.data(`query($id: ID!) { component(id: $id) { dependents { component { name } } } }`, { id: ids.get('Burgerzaken application (Centric)') }, as('centric'));
  expect(dependents.component.dependents.map((d: { component: { name: string } }) => d.component.name)).not.toContain('customer of Centric');

  // An offer withdrawn keeps the dependencies made on it, and takes no new ones.
  const { component } = await api.data(`query($id: ID!) { component(id: $id) { revision } }`, { id: ids.get('Burgerzaken application (Centric)') }, as('centric'));
  await api.data(`mutation($id: ID!, $r: Int!) { updateComponent(input: { componentId: $id, revision: $r, offered: false }) { component { offered } } }`,
    { id: ids.get('Burgerzaken application (Centric)'), r: component.revision }, as('centric'));
  const late = await probe('late customer');
  expect((await depend(late, ids.get('Burgerzaken application (Centric)')!)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  const still = await api.data(`query($id: ID!) { component(id: $id) { dependsOn { dependsOn { name } } } }`, { id: probeId }, as('mallory'));
  expect(still.component.dependsOn).toHaveLength(1);
});
