import { createDataSource } from '../../src/db/data-source';
import { loadDemoScenario } from '../../src/seed/demo-scenario';
import { TestApi } from '../helpers/api';
import { openTestDatabase, TestDatabase } from '../helpers/database';
import { factories } from '../helpers/factories';

let db: TestDatabase;
let api: TestApi;

beforeAll(async () => {
  db = await openTestDatabase();
  await db.dataSource.transaction((manager) => loadDemoScenario(manager));
  api = await new TestApi(db.dataSource).start();
});
afterAll(async () => {
  await api.stop();
  await db.close();
});

const errorOf = async (query: string, variables: Record<string, unknown> = {}) => {
  const result = await api.query(query, variables);
  expect(result.errors).toHaveLength(1);
  return result.errors![0];
};

async function idOfComponent(search: string): Promise<string> {
  const { components } = await api.data(`query($s: String!) { components(filter: { search: $s }) { edges { node { id } } } }`, { s: search });
  return components.edges[0].node.id;
}

describe('ids', () => {
  test('node() resolves every kind of entity to its concrete type', async () => {
    const { municipality, incidents, advisories } = await api.data(`{
      municipality(cbsCode: "GM0855") { id memberships { id } services { service { id } } }
      incidents(first: 1) { edges { node { id updates { id } } } }
      advisories(first: 1) { edges { node { id } } }
    }`);
    const counter = await idOfComponent('Centric Citrix');
    const { component } = await api.data(`query($id: ID!) { component(id: $id) { dependents { id } statusHistory(first: 1) { edges { node { id } } } } }`, { id: counter });
    const expected: [string, string][] = [
      [municipality.id, 'Municipality'],
      [municipality.services[0].service.id, 'Service'],
      [counter, 'Gateway'],
      [component.dependents[0].id, 'Dependency'],
      [component.statusHistory.edges[0].node.id, 'StatusReport'],
      [incidents.edges[0].node.id, 'Incident'],
      [incidents.edges[0].node.updates[0].id, 'IncidentUpdate'],
      [advisories.edges[0].node.id, 'Advisory'],
    ];
    for (const [id, typename] of expected) {
      const { node } = await api.data(`query($id: ID!) { node(id: $id) { __typename id } }`, { id });
      expect(node).toEqual({ __typename: typename, id });
    }
  });

  test('a malformed id is BAD_USER_INPUT, an unknown one NOT_FOUND, an id of the wrong type BAD_USER_INPUT', async () => {
    expect((await errorOf(`{ node(id: "not-an-id") { id } }`)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const unknown = Buffer.from('Component:00000000-0000-4000-8000-000000000000').toString('base64url');
    expect((await errorOf(`query($id: ID!) { component(id: $id) { id } }`, { id: unknown })).extensions).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    const { municipality } = await api.data(`{ municipality(cbsCode: "GM0534") { id } }`);
    const wrongType = await errorOf(`query($id: ID!) { component(id: $id) { id } }`, { id: municipality.id });
    expect(wrongType.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    expect(wrongType.message).toMatch(/Component/);
  });
});

describe('arguments', () => {
  test('organisation() takes exactly one of id and cbsCode', async () => {
    expect((await errorOf(`{ organisation { id } }`)).extensions?.code).toBe('BAD_USER_INPUT');
    const { municipality } = await api.data(`{ municipality(cbsCode: "GM0534") { id } }`);
    expect((await errorOf(`query($id: ID) { organisation(id: $id, cbsCode: "GM0534") { id } }`, { id: municipality.id })).extensions?.code).toBe('BAD_USER_INPUT');
    const { organisation } = await api.data(`{ organisation(cbsCode: "gm0534") { name } }`);
    expect(organisation.name).toBe('Hillegom');
  });

  test('a CBS code that cannot exist is BAD_USER_INPUT; one that does not is NOT_FOUND', async () => {
    expect((await errorOf(`{ municipality(cbsCode: "Hillegom") { id } }`)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'cbsCode' });
    expect((await errorOf(`{ municipality(cbsCode: "GM9999") { id } }`)).extensions).toMatchObject({ code: 'NOT_FOUND', field: 'cbsCode' });
  });

  test('a DateTime without an offset is refused: 18:00 means nothing without knowing whose', async () => {
    const error = await errorOf(`{ municipality(cbsCode: "GM0534") { services(asOf: "2020-01-17T18:00:00") { status } } }`);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/offset/);
  });

  test('an unknown enum value or field is BAD_USER_INPUT with graphql’s own message', async () => {
    expect((await errorOf(`{ organisations(kind: CITY) { totalCount } }`)).extensions?.code).toBe('BAD_USER_INPUT');
    expect((await errorOf(`{ municipality(cbsCode: "GM0534") { mayor } }`)).extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('pagination', () => {
  test('paging through organisations with first/after returns every one once, in name order', async () => {
    const all = await api.data(`{ organisations(first: 100) { totalCount edges { node { name } } } }`);
    const names: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const { organisations }: any = await api.data(`query($after: String) { organisations(first: 3, after: $after) {
        totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { cursor node { name } } } }`, { after });
      expect(organisations.totalCount).toBe(8);
      expect(organisations.pageInfo.hasPreviousPage).toBe(after !== null);
      names.push(...organisations.edges.map((e: { node: { name: string } }) => e.node.name));
      pages += 1;
      if (!organisations.pageInfo.hasNextPage) break;
      after = organisations.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(names).toEqual(all.organisations.edges.map((e: { node: { name: string } }) => e.node.name));
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : 1)));
  });

  test('a cursor that was never given out is BAD_USER_INPUT naming `after`; so is a page too large', async () => {
    expect((await errorOf(`{ organisations(after: "bm9wZQ") { totalCount } }`)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    expect((await errorOf(`{ organisations(first: 100000) { totalCount } }`)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect((await errorOf(`{ organisations(first: -1) { totalCount } }`)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  test('an organisation’s components page with after, batched or not', async () => {
    const { organisations } = await api.data(`{ organisations(kind: SHARED_SERVICE_ORGANISATION) { edges { node { name
      first: components(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } } } } }`);
    const hlt = organisations.edges[0].node;
    expect(hlt.first.totalCount).toBe(4);
    expect(hlt.first.pageInfo.hasNextPage).toBe(true);
    const second = await api.data(`query($after: String) { organisations(kind: SHARED_SERVICE_ORGANISATION) { edges { node {
      components(first: 2, after: $after) { totalCount pageInfo { hasNextPage hasPreviousPage } edges { node { name } } } } } } }`, { after: hlt.first.pageInfo.endCursor });
    const rest = second.organisations.edges[0].node.components;
    expect(rest).toMatchObject({ totalCount: 4, pageInfo: { hasNextPage: false, hasPreviousPage: true } });
    const names = [...hlt.first.edges, ...rest.edges].map((e: { node: { name: string } }) => e.node.name);
    expect(names).toEqual(['HLTsamen Citrix Gateway', 'Online appointments', 'Public counter (burgerzaken)', 'Remote work']);
  });

  test('status history pages newest observation first', async () => {
    const id = await idOfComponent('Public counter');
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 5; i++) {
      const { component }: any = await api.data(`query($id: ID!, $after: String) { component(id: $id) {
        statusHistory(first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { status observedAt } } } } }`, { id, after });
      expect(component.statusHistory.totalCount).toBe(3);
      seen.push(...component.statusHistory.edges.map((e: { node: { status: string; observedAt: string } }) => `${e.node.observedAt} ${e.node.status}`));
      if (!component.statusHistory.pageInfo.hasNextPage) break;
      after = component.statusHistory.pageInfo.endCursor;
    }
    expect(seen).toEqual([
      '2020-01-20T08:15:00.000Z OPERATIONAL',
      '2020-01-17T16:45:00.000Z MAJOR_OUTAGE',
      '2019-11-30T23:00:00.000Z OPERATIONAL',
    ]);
  });
});

describe('filters', () => {
  test('components by kind, product and effective status now', async () => {
    const gateways = await api.data(`{ components(filter: { kind: GATEWAY, product: "citrix" }) { totalCount } }`);
    expect(gateways.components.totalCount).toBe(3);
    const none = await api.data(`{ components(filter: { status: MAJOR_OUTAGE }) { totalCount } }`);
    expect(none.components.totalCount).toBe(0);

    // Tilburg's gateway fails today: everything behind it is down now, nothing else.
    const f = factories(db.dataSource.manager);
    const { municipality } = await api.data(`{ municipality(cbsCode: "GM0855") { id } }`);
    const tilburgId = Buffer.from(municipality.id, 'base64url').toString().split(':')[1];
    const gatewayId = Buffer.from(await idOfComponent('Tilburg Citrix'), 'base64url').toString().split(':')[1];
    await f.report(gatewayId, tilburgId, 'MAJOR_OUTAGE', new Date(Date.now() - 60_000));
    const down = await api.data(`{ components(filter: { status: MAJOR_OUTAGE }, first: 3) { totalCount pageInfo { hasNextPage } edges { node { name } } } }`);
    expect(down.components.totalCount).toBe(7);
    expect(down.components.pageInfo.hasNextPage).toBe(true);
    const services = await api.data(`{ components(filter: { status: MAJOR_OUTAGE, kind: SERVICE }) { totalCount } }`);
    expect(services.components.totalCount).toBe(5);
  });

  test('search is literal: % and _ match themselves', async () => {
    const { organisations } = await api.data(`{ organisations(search: "%") { totalCount } }`);
    expect(organisations.totalCount).toBe(0);
    const lisse = await api.data(`{ organisations(search: "ISS", kind: MUNICIPALITY) { edges { node { name } } } }`);
    expect(lisse.organisations.edges.map((e: { node: { name: string } }) => e.node.name)).toEqual(['Lisse']);
  });

  test('a shared-service organisation serves its municipalities from the membership start', async () => {
    const query = `query($on: Date) { organisations(kind: SHARED_SERVICE_ORGANISATION) { edges { node {
      ... on SharedServiceOrganisation { municipalities(on: $on) { cbsCode } memberships { startsOn endsOn municipality { name } } } } } } }`;
    const before = await api.data(query, { on: '2016-12-31' });
    expect(before.organisations.edges[0].node.municipalities).toEqual([]);
    const during = await api.data(query, { on: '2020-01-17' });
    expect(during.organisations.edges[0].node.municipalities.map((m: { cbsCode: string }) => m.cbsCode).sort()).toEqual(['GM0534', 'GM0553', 'GM1525']);
    expect((await errorOf(query, { on: '2020-02-30' })).extensions?.code).toBe('BAD_USER_INPUT');
  });
});

test('an unexpected failure is masked, with a request id, and no SQL or stack in sight', async () => {
  const broken = createDataSource({ url: db.url, poolSize: 1 });
  await broken.initialize();
  await broken.destroy(); // every query on it now fails inside TypeORM
  const productionApi = await new TestApi(broken, 'production').start();
  try {
    const result = await productionApi.query(`{ municipality(cbsCode: "GM0534") { name } }`);
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0].message).toBe('Internal server error');
    expect(result.errors![0].extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', requestId: expect.any(String) });
    expect(JSON.stringify(result)).not.toMatch(/SELECT|stack|typeorm|at /i);
  } finally {
    await productionApi.stop();
  }
});
