import type { Viewer } from '../../src/modules/access';
import { loadDemoScenario } from '../../src/seed/demo-scenario';
import { TestApi } from '../helpers/api';
import { openTestDatabase, TestDatabase } from '../helpers/database';

/** The January 2020 Citrix weekend, replayed through the public API with `asOf`. */
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

const DASHBOARD = `
  query Dashboard($cbsCode: String!, $asOf: DateTime) {
    municipality(cbsCode: $cbsCode) {
      name
      services(asOf: $asOf) {
        service { name audience }
        status
        cause
        since
        stale
        rootCause { __typename name operator { name } }
        rootCauseReport { status cause source reporter { name } }
      }
    }
  }`;

type Availability = {
  service: { name: string; audience: string };
  status: string;
  cause: string | null;
  since: string | null;
  stale: boolean;
  rootCause: { __typename: string; name: string; operator: { name: string } }[];
  rootCauseReport: { status: string; cause: string; source: string; reporter: { name: string } } | null;
};

async function services(cbsCode: string, asOf: string): Promise<Map<string, Availability>> {
  const data = await api.data<{ municipality: { services: Availability[] } }>(DASHBOARD, { cbsCode, asOf });
  return new Map(data.municipality.services.map((s) => [s.service.name, s]));
}

describe('Friday 17 January 2020, 18:00 CET', () => {
  const FRIDAY_EVENING = '2020-01-17T18:00:00+01:00';

  test.each(['GM0534', 'GM0553', 'GM1525'])('the public counter of %s is down, root cause Centric’s gateway', async (cbsCode) => {
    const counter = (await services(cbsCode, FRIDAY_EVENING)).get('Public counter (burgerzaken)')!;
    expect(counter.status).toBe('MAJOR_OUTAGE');
    expect(counter.cause).toBe('DEPENDENCY');
    expect(counter.rootCause.map((c) => c.name)).toEqual([
      'Public counter (burgerzaken)', 'Burgerzaken application (Centric)', 'Centric Citrix server',
    ]);
    expect(counter.rootCause.at(-1)).toMatchObject({ __typename: 'Gateway', operator: { name: 'Centric' } });
    expect(counter.rootCauseReport).toMatchObject({ status: 'MAJOR_OUTAGE', cause: 'PRECAUTIONARY_SHUTDOWN', reporter: { name: 'Centric' } });
    expect(counter.since).toBe('2020-01-17T16:30:00.000Z');
  });

  test('online appointments and remote work in Hillegom are down, root cause HLTsamen’s gateway', async () => {
    const hillegom = await services('GM0534', FRIDAY_EVENING);
    for (const name of ['Online appointments', 'Remote work']) {
      const service = hillegom.get(name)!;
      expect(service.status).toBe('MAJOR_OUTAGE');
      expect(service.rootCause.map((c) => c.name)).toEqual([name, 'HLTsamen Citrix Gateway']);
      expect(service.rootCauseReport?.reporter.name).toBe('HLTsamen');
      expect(service.since).toBe('2020-01-17T11:00:00.000Z');
    }
  });

  test('an hour earlier, before Centric switched off, the counter still worked', async () => {
    const counter = (await services('GM0553', '2020-01-17T17:00:00+01:00')).get('Public counter (burgerzaken)')!;
    expect(counter).toMatchObject({ status: 'OPERATIONAL', cause: null, rootCause: [], rootCauseReport: null });
  });
});

describe('Saturday 18 January 2020', () => {
  test('Tilburg’s appointments, Meedoenregeling and BuitenBeter are down through the resident log-in', async () => {
    const tilburg = await services('GM0855', '2020-01-18T12:00:00+01:00');
    for (const name of ['Online appointments', 'Meedoenregeling registration', 'BuitenBeter reports']) {
      const service = tilburg.get(name)!;
      expect(service.status).toBe('MAJOR_OUTAGE');
      expect(service.rootCause.map((c) => c.name)).toEqual([name, 'Resident log-in (municipal website)', 'Tilburg Citrix ADC']);
      expect(service.rootCauseReport?.cause).toBe('PRECAUTIONARY_SHUTDOWN');
    }
    for (const name of ['Remote work', 'Work e-mail']) {
      expect(tilburg.get(name)!.rootCause.map((c) => c.name)).toEqual([name, 'Tilburg Citrix ADC']);
    }
  });
});

describe('Monday 20 January 2020, noon', () => {
  test.each(['GM0534', 'GM0553', 'GM1525', 'GM0855'])('everything in %s is OPERATIONAL again', async (cbsCode) => {
    const all = [...(await services(cbsCode, '2020-01-20T12:00:00+01:00')).values()];
    expect(all.length).toBeGreaterThan(0);
    for (const service of all) expect({ name: service.service.name, status: service.status }).toEqual({ name: service.service.name, status: 'OPERATIONAL' });
  });

  test('the counter has been operational since Centric and HLTsamen switched back on', async () => {
    const counter = (await services('GM1525', '2020-01-20T12:00:00+01:00')).get('Public counter (burgerzaken)')!;
    expect(counter.since).toBe('2020-01-20T08:15:00.000Z');
  });
});

test('uptime over the week counts only the time before asOf', async () => {
  const data = await api.data(`{
    municipality(cbsCode: "GM0534") {
      services(asOf: "2020-01-20T12:00:00+01:00") {
        service { name }
        week: uptime(from: "2020-01-13T00:00:00+01:00", to: "2020-01-20T00:00:00+01:00")
        future: uptime(from: "2030-01-01T00:00:00+01:00", to: "2030-01-02T00:00:00+01:00")
      }
    }
  }`);
  const appointments = data.municipality.services.find((s: { service: { name: string } }) => s.service.name === 'Online appointments');
  // Down from Friday 12:00 until the end of the window (Monday 00:00): 60 of 168 hours.
  expect(appointments.week).toBeCloseTo(108 / 168, 6);
  expect(appointments.future).toBeNull();
});

test('a window that ends before it starts is refused', async () => {
  const result = await api.query(`{ municipality(cbsCode: "GM0534") { services { uptime(from: "2020-01-20T00:00:00Z", to: "2020-01-13T00:00:00Z") } } }`);
  expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'from' });
});

test('before monitoring started, every service is UNKNOWN, not OPERATIONAL', async () => {
  const all = [...(await services('GM0855', '2019-11-15T12:00:00+01:00')).values()];
  expect(all.map((s) => s.status)).toEqual(all.map(() => 'UNKNOWN'));
  expect(all.every((s) => s.since === null)).toBe(true);
});

test('the national overview on Friday evening counts residents once per municipality', async () => {
  const { nationalOverview } = await api.data(`{
    nationalOverview(asOf: "2020-01-17T18:00:00+01:00") {
      asOf
      componentsByStatus { status count }
      gatewaysByProduct { vendor product version status count }
      municipalitiesWithOutage { cbsCode }
      residentsAffected
      silentOrganisations { name }
    }
  }`);
  expect(nationalOverview.asOf).toBe('2020-01-17T17:00:00.000Z');
  expect(nationalOverview.municipalitiesWithOutage.map((m: { cbsCode: string }) => m.cbsCode).sort()).toEqual(['GM0534', 'GM0553', 'GM0855', 'GM1525']);
  expect(nationalOverview.residentsAffected).toBe(22_000 + 23_000 + 37_500 + 219_800);
  expect(nationalOverview.gatewaysByProduct).toEqual([
    { vendor: 'Citrix', product: 'ADC', version: '12.1.50.28', status: 'MAJOR_OUTAGE', count: 1 },
    { vendor: 'Citrix', product: 'ADC', version: '12.1.55.18', status: 'MAJOR_OUTAGE', count: 1 },
    { vendor: 'Citrix', product: 'ADC', version: '13.0.47.22', status: 'MAJOR_OUTAGE', count: 1 },
  ]);
  const total = nationalOverview.componentsByStatus.reduce((sum: number, s: { count: number }) => sum + s.count, 0);
  expect(total).toBe(13);
  expect(nationalOverview.componentsByStatus[0]).toEqual({ status: 'MAJOR_OUTAGE', count: 13 });
  expect(nationalOverview.silentOrganisations).toEqual([]);
});

test('on Thursday night, after the advisory and before any shutdown, every exposed operator is silent', async () => {
  const { nationalOverview } = await api.data(`{
    nationalOverview(asOf: "2020-01-16T23:00:00+01:00") {
      residentsAffected
      silentSince { organisation { name } advisory { reference } lastReportedAt }
    }
  }`);
  expect(nationalOverview.residentsAffected).toBe(0);
  const silent = nationalOverview.silentSince.map((s: { organisation: { name: string } }) => s.organisation.name).sort();
  expect(silent).toEqual(['Centric', 'HLTsamen', 'Tilburg']);
  expect(nationalOverview.silentSince[0]).toMatchObject({ advisory: { reference: 'NCSC-DEMO-CVE-2019-19781' }, lastReportedAt: '2019-11-30T23:00:00.000Z' });
});

test('the advisory’s exposure lists the three Citrix gateways, grouped by status at a moment', async () => {
  const { advisories } = await api.data(`{
    advisories(first: 5) {
      totalCount
      edges { node {
        cvssScore cveIds advice
        affectedProducts { productVendor product versionFrom versionTo }
        friday: exposure(asOf: "2020-01-17T18:00:00+01:00") { totalCount byStatus { status count gateways { name } } }
        monday: exposure(asOf: "2020-01-20T12:00:00+01:00") { byStatus { status count } }
      } }
    }
  }`);
  const advisory = advisories.edges[0].node;
  expect(advisory).toMatchObject({ cvssScore: 9.8, cveIds: ['CVE-2019-19781'], advice: 'SWITCH_OFF' });
  expect(advisory.friday.totalCount).toBe(3);
  expect(advisory.friday.byStatus).toEqual([{ status: 'MAJOR_OUTAGE', count: 3, gateways: expect.any(Array) }]);
  expect(advisory.monday.byStatus).toEqual([{ status: 'OPERATIONAL', count: 3 }]);
});

test('what-if: switching Centric’s gateway off takes out the counter in three municipalities', async () => {
  const { components } = await api.data(`{ components(filter: { search: "Centric Citrix" }) { edges { node { id } } } }`);
  const { impact } = await api.data(`
    query Impact($id: ID!) {
      impact(componentId: $id) {
        component { name }
        status
        affected { service { name } municipality { cbsCode } status rootCause { name } since }
        municipalities { cbsCode }
        residentsAffected
      }
    }`, { id: components.edges[0].node.id });
  expect(impact.status).toBe('MAJOR_OUTAGE');
  expect(impact.affected).toHaveLength(3);
  for (const row of impact.affected) {
    expect(row).toMatchObject({ service: { name: 'Public counter (burgerzaken)' }, status: 'MAJOR_OUTAGE', since: null });
    expect(row.rootCause.map((c: { name: string }) => c.name)).toEqual(['Public counter (burgerzaken)', 'Burgerzaken application (Centric)', 'Centric Citrix server']);
  }
  expect(impact.municipalities.map((m: { cbsCode: string }) => m.cbsCode).sort()).toEqual(['GM0534', 'GM0553', 'GM1525']);
  expect(impact.residentsAffected).toBe(22_000 + 23_000 + 37_500);

  // It changed nothing: the counter is operational now.
  const now = (await services('GM0534', new Date().toISOString())).get('Public counter (burgerzaken)')!;
  expect(now.status).toBe('OPERATIONAL');
});

describe('the what-if for those who must decide', () => {
  const IMPACT = `query($id: ID, $ids: [ID!], $asOf: DateTime) { impact(componentId: $id, componentIds: $ids, asOf: $asOf) {
    asOf components { name } affected { service { name } municipality { cbsCode } status }
    municipalities { cbsCode } residentsAffected withheld { services municipalities residents } } }`;
  const idOf = async (search: string) => (await api.data(`query($s: String) { components(filter: { search: $s }) { edges { node { id } } } }`, { s: search })).components.edges[0].node.id as string;
  const organisation = async (name: string) => {
    const [row] = await db.dataSource.query(`SELECT id FROM organisation WHERE name LIKE $1`, [`${name}%`]);
    return row.id as string;
  };
  const as = async (name: string, role: 'OPERATOR' | 'VENDOR' | 'MUNICIPALITY'): Promise<Viewer> => ({ kind: 'organisation', organisationId: await organisation(name), role, tokenId: name });
  const codes = (rows: { cbsCode: string }[]) => rows.map((m) => m.cbsCode).sort();

  test('Friday 17:30: HLTsamen asks what Centric switching its server off does to its three municipalities', async () => {
    const { impact } = await api.data(IMPACT, { id: await idOf('Centric Citrix') }, await as('HLTsamen', 'OPERATOR'));
    expect(impact.affected.map((a: { service: { name: string } }) => a.service.name)).toEqual(['Public counter (burgerzaken)', 'Public counter (burgerzaken)', 'Public counter (burgerzaken)']);
    expect(codes(impact.municipalities)).toEqual(['GM0534', 'GM0553', 'GM1525']);
    expect(impact).toMatchObject({ residentsAffected: 82_500, withheld: { services: 0, municipalities: 0, residents: 0 } });
  });

  test('Centric, as a vendor, learns how much depends on its server without learning its customers’ services', async () => {
    const { impact } = await api.data(IMPACT, { id: await idOf('Centric Citrix') }, await as('Centric', 'VENDOR'));
    expect(impact).toMatchObject({ affected: [], municipalities: [], residentsAffected: 82_500, withheld: { services: 1, municipalities: 3, residents: 82_500 } });
  });

  test('a municipality asks about what its own services stand on, and not about anything else', async () => {
    const lisse = await as('Lisse', 'MUNICIPALITY');
    const { impact } = await api.data(IMPACT, { id: await idOf('Centric Citrix') }, lisse);
    expect(codes(impact.affected.map((a: { municipality: { cbsCode: string } }) => a.municipality))).toEqual(['GM0534', 'GM0553', 'GM1525']);
    const tilburgs = await api.query(IMPACT, { id: await idOf('Tilburg Citrix') }, lisse);
    expect(tilburgs.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(JSON.stringify(tilburgs.data)).not.toMatch(/Tilburg|GM0855/);
  });

  test('two gateways switched off together, and what would have happened on Friday evening', async () => {
    const pair = await api.data(IMPACT, { ids: [await idOf('Tilburg Citrix'), await idOf('HLTsamen Citrix')] });
    expect(pair.impact.components.map((c: { name: string }) => c.name).sort()).toEqual(['HLTsamen Citrix Gateway', 'Tilburg Citrix ADC']);
    expect(codes(pair.impact.municipalities)).toEqual(['GM0534', 'GM0553', 'GM0855', 'GM1525']);
    // On Friday evening Centric's server was already off: switching HLTsamen's gateway off then took
    // appointments and remote work, and the counter was down whatever HLTsamen did.
    const friday = await api.data(IMPACT, { id: await idOf('HLTsamen Citrix'), asOf: '2020-01-17T18:00:00+01:00' });
    expect(friday.impact.asOf).toBe('2020-01-17T17:00:00.000Z');
    const names = new Set(friday.impact.affected.map((a: { service: { name: string } }) => a.service.name));
    expect([...names].sort()).toEqual(['Online appointments', 'Remote work']);
  });

  test('more than 50 components at once, none, or an id that is not a component: BAD_USER_INPUT', async () => {
    const gateway = await idOf('Tilburg Citrix');
    expect((await api.query(IMPACT, {})).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'componentId' });
    expect((await api.query(IMPACT, { ids: Array.from({ length: 51 }, () => gateway) })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'componentIds' });
    expect((await api.query(IMPACT, { id: 'not-an-id' })).errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});

test('the HLTsamen incident keeps both of NCSC’s green lights, each with its source', async () => {
  const { incidents } = await api.data(`{
    incidents(filter: { municipalityCbsCode: "GM0553" }) {
      totalCount
      edges { node { title state declaredBy { name } advisories { reference }
        updates { kind state postedAt author { name } source message } } }
    }
  }`);
  expect(incidents.totalCount).toBe(1);
  const incident = incidents.edges[0].node;
  expect(incident).toMatchObject({ state: 'RESOLVED', declaredBy: { name: 'HLTsamen' }, advisories: [{ reference: 'NCSC-DEMO-CVE-2019-19781' }] });
  const clearances = incident.updates.filter((u: { kind: string }) => u.kind === 'CLEARANCE');
  expect(clearances.map((c: { author: { name: string }; postedAt: string }) => [c.author.name.split(' ')[0], c.postedAt])).toEqual([
    ['NCSC', '2020-01-19T19:00:00.000Z'],
    ['NCSC', '2020-01-20T07:00:00.000Z'],
    ['Centric', '2020-01-20T08:00:00.000Z'],
  ]);
  expect(new Set(clearances.slice(0, 2).map((c: { source: string }) => c.source)).size).toBe(2);
});

test('Centric, as a vendor, sees which municipalities depend on it', async () => {
  const { organisations } = await api.data(`{ organisations(kind: VENDOR) { edges { node { name ... on Vendor { customers { cbsCode } } } } } }`);
  const centric = organisations.edges[0].node;
  expect(centric.customers.map((m: { cbsCode: string }) => m.cbsCode).sort()).toEqual(['GM0534', 'GM0553', 'GM1525']);
});
