import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, GraphQLSchema, lexicographicSortSchema, parse, print, printSchema, visit } from 'graphql';
import { createSchema } from '../../src/schema';
import { publicIncidentsIn } from '../../src/web/incidents';
import { atomProblems, DemoServer, startDemoServer } from '../helpers/public-face';

/**
 * The public face over real HTTP: the status page, its feed and live stream, the caching of the
 * public read, the IDE, the landing page and the printed schema. (test/browser/ drives the same in
 * Chromium.)
 */
let demo: DemoServer;
const FRIDAY = '2020-01-17T18:00';
const COUNTER = 'Public counter (burgerzaken)';
/** Names behind Lisse's services that only a token may see. */
const BEHIND = ['Centric', 'Citrix', 'Burgerzaken application', 'HLTsamen'];

beforeAll(async () => {
  demo = await startDemoServer();
});
afterAll(async () => {
  await demo?.stop();
});

const get = (address: string, headers: Record<string, string> = {}) => fetch(`${demo.origin}${address}`, { headers, redirect: 'manual' });

/** The service's row of a page: its list item. */
function row(page: string, name: string): string {
  const heading = page.indexOf(`<h3 class="service-name">${name}</h3>`);
  if (heading < 0) throw new Error(`no row for ${name}`);
  return page.slice(page.lastIndexOf('<li', heading), page.indexOf('</li>', heading));
}

/** A printed schema without its descriptions: what a client's code depends on. */
/** What federation adds for a gateway (docs/federation.md), not part of the contract clients read. */
const FEDERATION = /^(_Any|_Entity|_Service|federation__.*|link__.*|_service|_entities|key|link)$/;

function shape(schema: GraphQLSchema): string {
  const document = visit(parse(printSchema(lexicographicSortSchema(schema))), {
    enter: (node) => {
      if ('name' in node && node.name && FEDERATION.test(node.name.value)
        && ['DirectiveDefinition', 'ScalarTypeDefinition', 'ObjectTypeDefinition', 'UnionTypeDefinition', 'EnumTypeDefinition', 'FieldDefinition', 'Directive'].includes(node.kind)) return null;
      return 'description' in node && node.description ? { ...node, description: undefined } : undefined;
    },
  });
  return print(document);
}

describe('announced maintenance on the status page', () => {
  const post = async (query: string, variables: Record<string, unknown>, token?: string) => (await fetch(`${demo.origin}/graphql`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  })).json();

  test('a window on Centric\'s server shows on the pages of the municipalities whose services stand on it, with its public text only', async () => {
    const server = await post(`{ components(filter: { search: "Centric Citrix server" }) { edges { node { id name } } } }`, {}, demo.token);
    const serverId = server.data?.components?.edges?.[0]?.node?.id;
    expect(serverId).toEqual(expect.any(String));
    const startsAt = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const endsAt = new Date(Date.now() + 2 * 86_400_000 + 4 * 3_600_000).toISOString();
    const scheduled = await post(`mutation($input: ScheduleMaintenanceInput!) { scheduleMaintenance(input: $input) { maintenanceWindow { id } } }`,
      { input: { componentIds: [serverId], title: 'Citrix firmware update', publicText: 'Online services may be unavailable.', startsAt, endsAt } }, demo.token);
    expect(scheduled.errors).toBeUndefined();

    const lisse = await (await get('/status/GM0553?lang=en')).text();
    expect(lisse).toContain('Planned maintenance');
    expect(lisse).toContain('Citrix firmware update');
    expect(lisse).toContain('Online services may be unavailable.');
    expect(lisse).toContain(`Affects: ${COUNTER}`);
    // Tilburg's services do not stand on Centric's server.
    expect(await (await get('/status/GM0855?lang=en')).text()).not.toContain('Citrix firmware update');
    // The public API answers the same, and nothing of what the window is on.
    const asked = await post(`{ municipality(cbsCode: "GM0553") { maintenance { title startsAt services { name } } } }`, {});
    expect(asked.data.municipality.maintenance).toEqual([{ title: 'Citrix firmware update', startsAt, services: expect.arrayContaining([{ name: COUNTER }]) }]);
    expect(JSON.stringify(asked)).not.toContain('Centric Citrix server');
  });
});

describe('the status page', () => {
  test('Friday evening in Lisse: the public counter does not work, and nothing says why beyond "a system it relies on"', async () => {
    const response = await get(`/status/GM0553?asOf=${FRIDAY}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const page = await response.text();
    expect(page).toContain('<html lang="nl">');
    expect(page).toContain('Werken de diensten van gemeente Lisse?');
    expect(page).toContain('Zo stond het ervoor op vrijdag 17 januari 2020 om 18:00.');
    expect(row(page, COUNTER)).toContain('<strong>Werkt niet</strong>');
    expect(row(page, COUNTER)).toContain('sinds vrijdag 17 januari 2020 om 17:30');
    expect(row(page, COUNTER)).toContain('Door een storing in een systeem waar deze dienst van afhangt.');
    expect(page).toContain('3 van de 3 diensten werken niet zoals normaal.');
    for (const name of BEHIND) expect(page).not.toContain(name);
    // A past moment does not update itself.
    expect(page).not.toContain('data-live=');
  });

  test('grouped by audience, residents first, each service with its status in words', async () => {
    const page = await (await get(`/status/GM0553?asOf=${FRIDAY}`)).text();
    const residents = page.indexOf('<h2 id="audience-RESIDENTS">Voor inwoners</h2>');
    const staff = page.indexOf('<h2 id="audience-STAFF">Voor medewerkers</h2>');
    expect(residents).toBeGreaterThan(0);
    expect(staff).toBeGreaterThan(residents);
    expect(page.indexOf('<h3 class="service-name">Online appointments</h3>')).toBeGreaterThan(residents);
    expect(page.indexOf('<h3 class="service-name">Remote work</h3>')).toBeGreaterThan(staff);
  });

  test('shows exactly the services and statuses the public GraphQL API answers', async () => {
    const answer = await fetch(`${demo.origin}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ municipality(cbsCode: "GM0855") { services { service { name } status } } }' }),
    });
    const services = ((await answer.json()) as any).data.municipality.services as { service: { name: string }; status: string }[];
    const page = await (await get('/status/GM0855')).text();
    expect(services.length).toBeGreaterThan(3);
    expect(page.match(/<h3 class="service-name">/g)).toHaveLength(services.length);
    for (const s of services) expect(row(page, s.service.name)).toContain(`data-status="${s.status}"`);
    // The public may not ask for the root cause, so the page cannot show it.
    const refused = await fetch(`${demo.origin}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ municipality(cbsCode: "GM0855") { services(asOf: "2020-01-17T18:00:00+01:00") { rootCause { name } } } }' }),
    });
    expect(((await refused.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  test('English by Accept-Language or ?lang=en; Dutch otherwise', async () => {
    const english = await get(`/status/GM0553?asOf=${FRIDAY}`, { 'accept-language': 'en-GB,en;q=0.9,nl;q=0.5' });
    expect(english.headers.get('vary')).toBe('Accept-Language');
    const page = await english.text();
    expect(page).toContain('<html lang="en">');
    expect(row(page, COUNTER)).toContain('<strong>Not working</strong>');
    expect(await (await get(`/status/GM0553?lang=en`, { 'accept-language': 'nl' })).text()).toContain('Are the services of the municipality of Lisse working?');
    expect(await (await get(`/status/GM0553`, { 'accept-language': 'de-DE,fr;q=0.8' })).text()).toContain('<html lang="nl">');
    const chosen = await get('/status/GM0553?lang=en');
    expect(chosen.headers.get('vary')).toBeNull();
  });

  test('cacheable: an ETag of what is shown, public max-age, 304 when the reader holds it', async () => {
    const first = await get('/status/GM0553');
    expect(first.headers.get('cache-control')).toBe('public, max-age=5');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await get('/status/GM0553');
    expect(again.headers.get('etag')).toBe(etag);
    const conditional = await get('/status/GM0553', { 'if-none-match': etag });
    expect(conditional.status).toBe(304);
    expect(await conditional.text()).toBe('');
    expect(conditional.headers.get('etag')).toBe(etag);
    expect((await get('/status/GM0553', { 'if-none-match': '"something else"' })).status).toBe(200);
    // Another language is another representation with its own tag.
    expect((await get('/status/GM0553?lang=en', { 'if-none-match': etag })).status).toBe(200);
  });

  test('addresses: the canonical code, unknown municipalities, bad input', async () => {
    const lower = await get('/status/gm0553?lang=en');
    expect(lower.status).toBe(301);
    expect(lower.headers.get('location')).toBe('/status/GM0553?lang=en');
    const unknown = await get('/status/GM9999');
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('Er is geen gemeente met code GM9999.');
    expect((await get('/status/Lisse')).status).toBe(404);
    const badMoment = await get('/status/GM0553?asOf=friday');
    expect(badMoment.status).toBe(400);
    expect(await badMoment.text()).toContain('Dit moment begrijpen we niet');
  });

  test('the index: a form by CBS code, which leads to the page', async () => {
    const index = await get('/status');
    expect(await index.text()).toContain('<form class="choose" method="get" action="/status">');
    const chosen = await get('/status?code=gm0553&lang=en');
    expect(chosen.status).toBe(303);
    expect(chosen.headers.get('location')).toBe('/status/GM0553?lang=en');
    const wrong = await get('/status?code=Lisse');
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('aria-invalid="true"');
  });
});

/**
 * On when the schema offers the public the incidents behind a service (src/web/incidents.ts): the
 * page shows exactly the incidents and updates the public API gives, and none only a token sees.
 */
(publicIncidentsIn(createSchema()) ? test : test.skip)('the public updates of the incidents behind each service, and no others', async () => {
  const ask = async (token?: string) => {
    const response = await fetch(`${demo.origin}/graphql`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query: '{ municipality(cbsCode: "GM0553") { services(asOf: "2020-01-19T12:00:00+01:00") { service { name } incidents { title updates { message } } } } }' }),
    });
    const body = (await response.json()) as any;
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data.municipality.services as { service: { name: string }; incidents: { title: string; updates: { message: string }[] }[] }[];
  };
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  const page = await (await get('/status/GM0553?asOf=2020-01-19T12:00')).text();
  const shown = new Set<string>();
  for (const service of await ask()) {
    for (const incident of service.incidents) {
      expect(row(page, service.service.name)).toContain(escape(incident.title));
      for (const update of incident.updates) expect(row(page, service.service.name)).toContain(escape(update.message));
      shown.add(incident.title);
    }
  }
  for (const service of await ask(demo.token)) {
    for (const incident of service.incidents) if (!shown.has(incident.title)) expect(page).not.toContain(escape(incident.title));
  }
});

describe('the Atom feed', () => {
  test('is valid Atom, links back to the page, and caches like the page', async () => {
    const response = await get('/status/GM0553/feed.atom');
    expect(response.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    const feed = await response.text();
    expect(await atomProblems(feed)).toEqual([]);
    expect(feed).toContain(`<link rel="alternate" type="text/html" href="${demo.origin}/status/GM0553?lang=nl"/>`);
    expect(feed).toContain(`<title>${COUNTER}: werkt</title>`);
    for (const name of BEHIND) expect(feed).not.toContain(name);
    const conditional = await get('/status/GM0553/feed.atom', { 'if-none-match': response.headers.get('etag')! });
    expect(conditional.status).toBe(304);
  });
});

/** Reads Server-Sent Events from a stream until `until` says enough. */
async function readEvents(response: Response, until: (events: { event: string; id: string; data: string }[]) => boolean, timeoutMs = 5000) {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: { event: string; id: string; data: string }[] = [];
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  while (!until(events)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`events so far: ${JSON.stringify(events.map((e) => e.event))}`);
    const chunk = await Promise.race([reader.read(), new Promise<null>((resolve) => setTimeout(() => resolve(null), left))]);
    if (chunk === null) continue;
    if (chunk.done) break;
    buffer += decoder.decode(chunk.value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const field = (name: string) => block.split('\n').filter((l) => l.startsWith(`${name}: `)).map((l) => l.slice(name.length + 2)).join('\n');
      if (field('event')) events.push({ event: field('event'), id: field('id'), data: field('data') });
    }
  }
  return { events, close: () => reader.cancel() };
}

describe('live updates (Server-Sent Events)', () => {
  test('a report reaches an open page as its new live region; the page and feed follow at once', async () => {
    const page = await (await get('/status/GM0553')).text();
    const shown = /data-version="([\w-]+)"/.exec(page)![1];
    const etag = (await get('/status/GM0553')).headers.get('etag')!;
    const stream = await get(`/status/GM0553/live?lang=nl&shown=${shown}`);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers.get('cache-control')).toBe('no-store');
    const pushed = readEvents(stream, (events) => events.some((e) => e.data.includes('Werkt niet')));
    // The reader shows what is current, so nothing is sent until something changes.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await demo.report('Centric Citrix server', 'MAJOR_OUTAGE', 'FAILURE');
    const { events, close } = await pushed;
    await close();
    expect(events.map((e) => e.event)).toEqual(['picture']);
    const region = JSON.parse(events[0].data).html as string;
    expect(row(region, COUNTER)).toContain('<strong>Werkt niet</strong>');
    for (const name of BEHIND) expect(region).not.toContain(name);
    // The event's id is the version a page rendered now carries, and the old ETag is forgotten.
    const now = await get('/status/GM0553', { 'if-none-match': etag });
    expect(now.status).toBe(200);
    expect(await now.text()).toContain(`data-version="${events[0].id}"`);
    await demo.report('Centric Citrix server', 'OPERATIONAL');
  });

  test('a reader that reconnects with an old version gets the current one at once; unknown municipalities are 404', async () => {
    const stream = await get('/status/GM0553/live?lang=en', { 'last-event-id': 'an-old-version' });
    const { events, close } = await readEvents(stream, (e) => e.length > 0);
    await close();
    expect(JSON.parse(events[0].data).html).toContain('All services are working.');
    expect((await get('/status/GM9999/live')).status).toBe(404);
  });
});

describe('the public GraphQL read', () => {
  const QUERY = JSON.stringify({ query: '{ municipality(cbsCode: "GM0553") { name services { service { name } status } } }' });
  const post = (headers: Record<string, string> = {}, body = QUERY) =>
    fetch(`${demo.origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  test('without a token: public max-age, an ETag of the answer, 304 when held', async () => {
    const first = await post();
    expect(first.headers.get('cache-control')).toBe('public, max-age=5');
    expect(first.headers.get('vary')).toContain('Authorization');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const held = await post({ 'if-none-match': etag });
    expect(held.status).toBe(304);
    expect(await held.text()).toBe('');
    const get = await fetch(`${demo.origin}/graphql?query=${encodeURIComponent('{ municipality(cbsCode: "GM0553") { name } }')}`, {
      headers: { 'apollo-require-preflight': 'true', 'if-none-match': 'nothing' },
    });
    expect(get.status).toBe(200);
    expect(get.headers.get('cache-control')).toBe('public, max-age=5');
  });

  test('with a token, or with errors, nothing may be cached', async () => {
    const withToken = await post({ authorization: `Bearer ${demo.token}` });
    expect(withToken.headers.get('cache-control')).toBe('private, no-store');
    expect(withToken.headers.get('etag')).toBeNull();
    const refused = await post({}, JSON.stringify({ query: '{ nationalOverview { residentsAffected } }' }));
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(refused.headers.get('etag')).toBeNull();
  });
});

describe('the IDE, the landing page and the schema', () => {
  test('a browser asking for /graphql gets GraphiQL, with every asset from this server', async () => {
    const response = await get('/graphql', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('<div id="graphiql">');
    const assets = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(5);
    for (const asset of assets) {
      expect(asset).toMatch(/^\/[^/]/);
      expect((await get(asset)).status).toBe(200);
    }
    const schema = await (await get('/graphql/ide/schema.json')).json() as any;
    expect(schema.__schema.queryType.name).toBe('Query');
    // Clients that are not browsers still reach the API.
    expect((await get('/graphql', { accept: 'application/json' })).status).toBe(400);
  });

  test('the landing page links the IDE, the status pages, the schema and the docs', async () => {
    const page = await (await get('/')).text();
    for (const link of ['href="/graphql"', 'href="/status?lang=nl"', 'href="/schema.graphql"', 'href="/docs/public-face.md"']) expect(page).toContain(link);
    expect((await get('/docs/public-face.md')).status).toBe(200);
    expect((await get('/docs/..%2Fpackage.json')).status).toBe(404);
  });

  test('/schema.graphql is the committed contract, and the contract is the schema this server runs', async () => {
    const served = await (await get('/schema.graphql')).text();
    const file = fs.readFileSync(path.join(__dirname, '../../schema.graphql'), 'utf8');
    expect(served).toBe(file);
    // Descriptions aside: the scalars' implementations carry their own.
    expect(shape(buildSchema(file))).toBe(shape(createSchema()));
  });
});

describe('in production', () => {
  test('the IDE is off unless GRAPHQL_IDE=on; the schema and the status pages stay', async () => {
    const production = await startDemoServer({ NODE_ENV: 'production' });
    const switchedOn = await startDemoServer({ NODE_ENV: 'production', GRAPHQL_IDE: 'on' });
    try {
      const html = { accept: 'text/html' };
      const off = await fetch(`${production.origin}/graphql`, { headers: html });
      expect(off.status).toBe(404);
      expect(await off.text()).toContain('No IDE on this server');
      expect((await fetch(`${production.origin}/schema.graphql`)).status).toBe(200);
      expect((await fetch(`${production.origin}/status/GM0553`)).status).toBe(200);
      const on = await fetch(`${switchedOn.origin}/graphql`, { headers: html });
      expect(await on.text()).toContain('<div id="graphiql">');
      // Introspection stays off; the IDE takes the schema from the server's own page.
      expect((await fetch(`${switchedOn.origin}/graphql/ide/schema.json`)).status).toBe(200);
    } finally {
      await production.stop();
      await switchedOn.stop();
    }
  });
});
