import type { Viewer } from '../../src/modules/access';
import { loadDemoScenario } from '../../src/seed/demo-scenario';
import { TestApi } from '../helpers/api';
import { openTestDatabase, TestDatabase } from '../helpers/database';

/** Incidents where people look (issue 14): the incident behind a service's state shows under the service. */
let db: TestDatabase;
let api: TestApi;

beforeAll(async () => {
  db = await openTestDatabase();
  await db.dataSource.transaction((manager) => loadDemoScenario(manager));
  api = await new TestApi(db.dataSource).start();
});
afterAll(async () => {
  await api?.stop();
  await db?.close();
});

test('incidents where people look: Centric’s incident on its server shows under the counter it took down, first', async () => {
  const [centric] = await db.dataSource.query(`SELECT id FROM organisation WHERE name = 'Centric'`);
  const vendor: Viewer = { kind: 'organisation', organisationId: centric.id, role: 'VENDOR', tokenId: 'centric' };
  const { components } = await api.data(`{ components(filter: { search: "Centric Citrix" }) { edges { node { id } } } }`);
  const server = components.edges[0].node.id;
  const { declareIncident } = await api.data(`mutation($id: ID!) { declareIncident(input: {
    title: "Citrix server off again", severity: MAJOR, affectedComponentIds: [$id], message: "Switched off, precautionary." }) { incident { id } } }`, { id: server }, vendor);
  await api.data(`mutation($id: ID!) { reportStatus(input: { componentId: $id, status: MAJOR_OUTAGE, cause: PRECAUTIONARY_SHUTDOWN }) { replayed } }`, { id: server }, vendor);

  const lisse = await api.data(`{ municipality(cbsCode: "GM0553") { services { service { name } status incidents { id title } } } }`);
  const counter = lisse.municipality.services.find((s: { service: { name: string } }) => s.service.name === 'Public counter (burgerzaken)');
  // Open now, and behind the root cause: the 2020 incidents are resolved and not listed here.
  expect(counter).toMatchObject({ status: 'MAJOR_OUTAGE', incidents: [{ id: declareIncident.incident.id, title: 'Citrix server off again' }] });
  const { node } = await api.data(`query($id: ID!) { node(id: $id) { ... on Component { incidents { title } } } }`,
    { id: (await api.data(`{ components(filter: { search: "Public counter" }) { edges { node { id } } } }`)).components.edges[0].node.id });
  // Every incident on it or below it, the one behind its root cause first.
  expect(node.incidents.map((i: { title: string }) => i.title)).toEqual(['Citrix server off again', 'Citrix servers switched off (CVE-2019-19781): Hillegom, Lisse, Teylingen']);
  await api.data(`mutation($id: ID!) { reportStatus(input: { componentId: $id, status: OPERATIONAL }) { replayed } }`, { id: server }, vendor);
});
