import { TestApi } from '../helpers/api';
import { openTestDatabase, TestDatabase } from '../helpers/database';
import { factories } from '../helpers/factories';
import { PUBLIC_VIEWER } from '../../src/modules/access';
import type { Viewer } from '../../src/modules/access';

/**
 * N+1 guards: the number of SQL statements a nested query sends must not grow with the number of
 * rows. Each case builds a picture, counts, grows the picture tenfold and counts again.
 */
let db: TestDatabase;
let api: TestApi;

beforeAll(async () => {
  db = await openTestDatabase();
  api = await new TestApi(db.dataSource).start();
});
afterAll(async () => {
  await api.stop();
  await db.close();
});

/** A municipality served by `services` services; each needs an application behind one of two gateways. */
async function buildMunicipality(cbsCode: string, services: number) {
  const f = factories(db.dataSource.manager);
  const municipality = await f.organisation('MUNICIPALITY', { cbsCode, name: `Municipality ${cbsCode}` });
  const operator = await f.organisation('SHARED_SERVICE_ORGANISATION');
  const gateways = [await f.component(operator.id, 'GATEWAY'), await f.component(operator.id, 'GATEWAY')];
  await f.report(gateways[0].id, operator.id, 'MAJOR_OUTAGE', '2020-01-17T11:00:00Z', 'PRECAUTIONARY_SHUTDOWN');
  await f.report(gateways[1].id, operator.id, 'OPERATIONAL', '2020-01-17T11:00:00Z');
  for (let i = 0; i < services; i++) {
    const application = await f.component(operator.id, 'APPLICATION');
    const service = await f.service(operator.id, [municipality.id]);
    await f.dependency(service.id, application.id);
    await f.dependency(application.id, gateways[i % 2].id);
    await f.report(service.id, operator.id, 'OPERATIONAL', '2020-01-17T09:00:00Z');
  }
  return municipality;
}

/**
 * DataLoader batches by event-loop tick. On a server with a pool, two branches of one query (an
 * operator's name here, a reporter's name there) sometimes finish in the same tick and share a
 * batch, sometimes not: the count may differ by one or two between runs, never by the number of
 * rows. An N+1 on these lists would add 27 or more statements.
 */
const TICK_VARIANCE = 2;

async function statementsFor(query: string, variables: Record<string, unknown>, viewer?: Viewer) {
  db.queries.reset();
  const result = await api.query(query, variables, viewer);
  expect(result.errors).toBeUndefined();
  return { count: db.queries.count, data: result.data };
}

const DASHBOARD = `
  query Dashboard($cbsCode: String!) {
    municipality(cbsCode: $cbsCode) {
      name
      services {
        service { id name audience operator { name } deliveredTo { cbsCode } }
        status cause since stale
        rootCause { id name operator { name } }
        rootCauseReport { source reporter { name } }
        uptime(from: "2020-01-01T00:00:00Z", to: "2020-02-01T00:00:00Z")
      }
    }
  }`;

test('the municipal dashboard sends as many statements for 50 services as for 5', async () => {
  const few = await buildMunicipality('GM0001', 5);
  const many = await buildMunicipality('GM0002', 50);
  const small = await statementsFor(DASHBOARD, { cbsCode: 'GM0001' });
  const large = await statementsFor(DASHBOARD, { cbsCode: 'GM0002' });
  // The same as the municipality itself sees it: the access policy adds one statement for the root
  // cause paths (AccessScope.readablePrefix), not one per row.
  const asMunicipality = (id: string): Viewer => ({ kind: 'organisation', organisationId: id, role: 'MUNICIPALITY', tokenId: 'test' });
  const ownSmall = await statementsFor(DASHBOARD, { cbsCode: 'GM0001' }, asMunicipality(few.id));
  const ownLarge = await statementsFor(DASHBOARD, { cbsCode: 'GM0002' }, asMunicipality(many.id));
  expect(ownLarge.count).toBe(ownSmall.count);
  expect(ownLarge.count).toBeLessThanOrEqual(large.count + 1);
  expect(small.data.municipality.services).toHaveLength(5);
  expect(large.data.municipality.services).toHaveLength(50);
  expect(large.data.municipality.services.filter((s: { status: string }) => s.status === 'MAJOR_OUTAGE')).toHaveLength(25);
  expect(large.count).toBe(small.count);
  // municipality, its services in the stored picture, the service and root-cause components, root-cause
  // reports, operators, deliveries, and the history below the services for uptime (components, edges and reports in one)
  expect(large.count).toBeLessThanOrEqual(7);
  process.stdout.write(`dashboard query: ${large.count} SQL statements for 5 and for 50 services\n`);
});

test('the dashboard as most ask it: the services come with their rows, and root causes cost two statements more only when asked', async () => {
  const municipality = await buildMunicipality('GM0003', 20);
  const viewer: Viewer = { kind: 'organisation', organisationId: municipality.id, role: 'MUNICIPALITY', tokenId: 'test' };
  const withRootCause = `query($cbs: String!) { municipality(cbsCode: $cbs) {
    services { service { id name } status cause since rootCause { id name } } } }`;
  const withoutRootCause = `query($cbs: String!) { municipality(cbsCode: $cbs) { services { service { name } status cause since } } }`;

  // The municipality, then its services with their status and their component rows: no third statement.
  const plain = await statementsFor(withoutRootCause, { cbs: 'GM0003' }, viewer);
  expect(plain.count).toBe(2);
  expect(plain.data.municipality.services).toHaveLength(20);
  expect(plain.data.municipality.services.every((s: { service: { name: string } }) => s.service.name.length > 0)).toBe(true);
  expect((await statementsFor(withoutRootCause, { cbs: 'GM0003' }, PUBLIC_VIEWER)).count).toBe(2);

  // Root causes add the components behind the services and the check of how far the reader may follow them.
  const full = await statementsFor(withRootCause, { cbs: 'GM0003' }, viewer);
  expect(full.count).toBe(4);
  const down = full.data.municipality.services.filter((s: { status: string }) => s.status === 'MAJOR_OUTAGE');
  expect(down).toHaveLength(10);
  // Service, application, gateway: the municipality sees its services' whole path (its operator serves it).
  for (const service of down) {
    expect(service.rootCause).toHaveLength(3);
    expect(service.rootCause[0].id).toBe(service.service.id);
  }
});

test('a component list with nested status, dependencies and incidents does not grow with the page', async () => {
  const query = `
    query Components($first: Int!) {
      components(filter: { kind: SERVICE }, first: $first) {
        totalCount
        edges { node {
          name operator { name }
          effectiveStatus { status since rootCause { name } }
          reportedStatus { status reporter { name } }
          dependsOn { kind dependsOn { name dependsOn { dependsOn { name } } } }
          dependents { component { name } }
          incidents { title }
          statusHistory(first: 3) { totalCount edges { node { status } } }
        } }
      }
    }`;
  const few = await statementsFor(query, { first: 3 });
  const many = await statementsFor(query, { first: 30 });
  expect(many.data.components.edges).toHaveLength(30);
  expect(Math.abs(many.count - few.count)).toBeLessThanOrEqual(TICK_VARIANCE);
});

test('organisations with their components’ effective status are batched', async () => {
  const f = factories(db.dataSource.manager);
  for (let v = 0; v < 10; v++) {
    const vendor = await f.organisation('VENDOR');
    const gateway = await f.component(vendor.id, 'GATEWAY');
    await f.report(gateway.id, vendor.id, v % 2 ? 'MAJOR_OUTAGE' : 'OPERATIONAL', '2020-01-17T16:30:00Z');
    for (let c = 0; c < 3; c++) {
      const application = await f.component(vendor.id, 'APPLICATION');
      await f.dependency(application.id, gateway.id);
    }
  }
  const query = `
    query Vendors($first: Int!) {
      organisations(kind: VENDOR, first: $first) {
        edges { node { name components(first: 3) { totalCount edges { node { name effectiveStatus { status rootCause { name } } } } } } }
      }
    }`;
  const few = await statementsFor(query, { first: 2 });
  const many = await statementsFor(query, { first: 10 });
  expect(many.data.organisations.edges).toHaveLength(10);
  expect(many.data.organisations.edges.every((e: { node: { components: { totalCount: number } } }) => e.node.components.totalCount === 4)).toBe(true);
  expect(Math.abs(many.count - few.count)).toBeLessThanOrEqual(TICK_VARIANCE);
});

test('advisories and their exposure, incidents and their timelines: constant statements when the rows grow tenfold', async () => {
  const f = factories(db.dataSource.manager);
  const coordinator = await f.organisation('COORDINATOR');
  const ncsc: Viewer = { kind: 'organisation', organisationId: coordinator.id, role: 'COORDINATOR', tokenId: 'n+1' };
  const operator = await f.organisation('SHARED_SERVICE_ORGANISATION');
  const grow = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const gateway = await f.component(operator.id, 'GATEWAY', { productVendor: 'NPlusOne', product: 'Edge', version: `1.${i}` });
      await api.data(`mutation($ref: String!, $v: String!, $g: ID!) {
        publishAdvisory(input: { reference: $ref, title: "t", advice: PATCH, cveIds: ["CVE-2020-0001"], affectedProducts: [{ productVendor: "NPlusOne", product: "Edge", version: $v }] }) { advisory { id } }
        declareIncident(input: { title: "t", severity: MINOR, affectedComponentIds: [$g], message: "m" }) { incident { id } } }`,
      { ref: `NPLUSONE-${Math.random()}`, v: `1.${i}`, g: Buffer.from(`Component:${gateway.id}`).toString('base64url') }, ncsc);
    }
  };
  const ADVISORIES = `{ advisories(first: 40) { edges { node { reference tlp publisher { name } recipients { name } revisions { number recordedBy { name } }
    vulnerabilities { cve } affectedProducts { product version status } csaf { trackingId }
    exposure { totalCount byRemediation { state count } components { component { name } status remediation matchedBy { version } } } } } } }`;
  const INCIDENTS = `{ incidents(first: 40) { edges { node { title tlp recipients { name } declaredBy { name } advisories { reference }
    affectedComponents { name } updates { kind message tlp author { name } recipients { name } } } } } }`;
  await grow(3);
  const advisoriesSmall = await statementsFor(ADVISORIES, {}, ncsc);
  const incidentsSmall = await statementsFor(INCIDENTS, {}, ncsc);
  await grow(27);
  const advisoriesLarge = await statementsFor(ADVISORIES, {}, ncsc);
  const incidentsLarge = await statementsFor(INCIDENTS, {}, ncsc);
  expect(incidentsLarge.data.incidents.edges.length).toBeGreaterThanOrEqual(30);
  expect(incidentsLarge.count).toBeLessThanOrEqual(incidentsSmall.count + TICK_VARIANCE);
  expect(advisoriesLarge.data.advisories.edges.length).toBeGreaterThanOrEqual(30);
  expect(advisoriesLarge.count).toBeLessThanOrEqual(advisoriesSmall.count + TICK_VARIANCE);
});
