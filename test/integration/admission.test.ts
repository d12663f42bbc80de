import WebSocket from 'ws';
import { loadConfig } from '../../src/config';
import type { Log } from '../../src/log';
import { issueFirstTokenIfNone } from '../../src/modules/access';
import { loadDemoScenario } from '../../src/seed/demo-scenario';
import { RunningServer, startHttpServer } from '../../src/server';
import { openTestDatabase, TestDatabase } from '../helpers/database';
import { liveClient, LiveSubscription, waitUntil } from '../helpers/live';

/**
 * One admission path (src/platform/admission.ts): every limit refuses the same operation over HTTP
 * (a query) and over WebSocket (a subscription) with the same code and message, and lets through the
 * one just inside it. Each limit on a server of its own where it is small, so each boundary is a short document.
 */
let db: TestDatabase;
/** Default limits. */
let server: RunningServer;
const servers: RunningServer[] = [];
let coordinator: string;
const logged: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
const log: Log = {
  debug() {},
  info() {},
  warn: (message, fields) => logged.push({ level: 'warn', message, fields }),
  error: (message, fields) => logged.push({ level: 'error', message, fields }),
};

async function startServer(limits: Record<string, string>): Promise<RunningServer> {
  const started = await startHttpServer(loadConfig({
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_BURST: '1000000', ...limits,
  }), db.dataSource, log);
  servers.push(started);
  return started;
}

beforeAll(async () => {
  db = await openTestDatabase();
  await db.dataSource.transaction((manager) => loadDemoScenario(manager));
  coordinator = (await issueFirstTokenIfNone(db.dataSource))!.secret;
  server = await startServer({});
});
afterAll(async () => {
  for (const started of servers) await started.stop();
  await db?.close();
});

interface Outcome {
  /** HTTP status, or for WebSocket 200 when the subscription started and 400 when it was refused. */
  status: number;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

async function overHttp(query: string, variables: Record<string, unknown>, token: string | null, to = server): Promise<Outcome> {
  const response = await fetch(to.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { errors?: Outcome['errors'] };
  return { status: response.status, errors: body.errors };
}

/** A subscription either starts (the instance counts one more listener) or is refused with errors. */
async function overWebSocket(query: string, variables: Record<string, unknown>, token: string | null, to = server): Promise<Outcome> {
  const client = liveClient(to.url, token ?? undefined);
  const before = to.events.listenerCount;
  const subscription = new LiveSubscription(client, query, variables);
  try {
    await waitUntil(() => subscription.failure !== null || subscription.results.length > 0 || to.events.listenerCount > before, 5000, 'the subscription to start or be refused');
    if (Array.isArray(subscription.failure)) return { status: 400, errors: subscription.failure };
    if (subscription.results.length > 0) return { status: 400, errors: subscription.results[0].errors };
    return { status: 200 };
  } finally {
    await client.dispose();
    await waitUntil(() => to.events.listenerCount === before, 2000, 'the subscription to end');
  }
}

const repeat = (n: number, text: string) => Array.from({ length: n }, () => text).join(' ');
const aliased = (n: number, field: string) => Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ');
const PUBLIC = null;

/** For each limit: the query over HTTP and the subscription over WebSocket, just inside it and one step over. */
const LIMIT_CASES: {
  limit: string;
  /** The server's configuration for this limit. */
  env: Record<string, string>;
  http: (over: boolean) => [string, Record<string, unknown>];
  ws: (over: boolean) => [string, Record<string, unknown>];
  token?: () => string | null;
  message: RegExp;
}[] = [
  {
    limit: 'depth (5)',
    env: { QUERY_MAX_DEPTH: '5' },
    http: (over) => [`{ municipality(cbsCode: "GM0534") { services { service { operator { ${over ? 'components { totalCount }' : 'name'} } } } } }`, {}],
    ws: (over) => [`subscription { statusChanged(municipalityCbsCode: "GM0534") { component { operator { components(first: 1) { ${over ? 'edges { cursor }' : 'totalCount'} } } } } }`, {}],
    message: /^Query depth limit of 5 exceeded, found 6\.$/,
  },
  {
    limit: 'aliases (3)',
    env: { QUERY_MAX_ALIASES: '3' },
    http: (over) => [`{ municipality(cbsCode: "GM0534") { ${aliased(over ? 4 : 3, 'name')} } }`, {}],
    ws: (over) => [`subscription { statusChanged(municipalityCbsCode: "GM0534") { ${aliased(over ? 4 : 3, 'status')} } }`, {}],
    message: /^Aliases limit of 3 exceeded, found 4\.$/,
  },
  {
    limit: 'directives (3)',
    env: { QUERY_MAX_DIRECTIVES: '3' },
    http: (over) => [`{ municipality(cbsCode: "GM0534") { ${repeat(over ? 4 : 3, 'name @include(if: true)')} } }`, {}],
    ws: (over) => [`subscription { statusChanged(municipalityCbsCode: "GM0534") { ${repeat(over ? 4 : 3, 'status @include(if: true)')} } }`, {}],
    message: /^Directives limit of 3 exceeded, found 4\.$/,
  },
  {
    // `{ municipality ( cbsCode : "…" ) { name × n } }` is n + 10 tokens; the subscription n + 11.
    limit: 'tokens (60)',
    env: { QUERY_MAX_TOKENS: '60' },
    http: (over) => [`{ municipality(cbsCode: "GM0534") { ${repeat(over ? 51 : 50, 'name')} } }`, {}],
    ws: (over) => [`subscription { statusChanged(municipalityCbsCode: "GM0534") { ${repeat(over ? 50 : 49, 'status')} } }`, {}],
    message: /^Syntax Error: Document contains more that 60 tokens\. Parsing aborted\.$/,
  },
  {
    // organisations: 1 + first × 3; statusChanged → component → statusHistory: 3 + first × 3.
    limit: 'cost (31), judged with the variables',
    env: { QUERY_MAX_COST: '31' },
    http: (over) => ['query($first: Int!) { organisations(first: $first) { edges { node { name } } } }', { first: over ? 11 : 10 }],
    ws: (over) => ['subscription($first: Int!) { statusChanged(municipalityCbsCode: "GM0534") { component { statusHistory(first: $first) { edges { node { status } } } } } }', { first: over ? 10 : 9 }],
    token: () => coordinator,
    message: /^Query cost limit of 31 exceeded, estimated 3\d\./,
  },
  {
    // A day of uptime window is a unit per service (200 assumed for a municipality): 402 or 602 over
    // HTTP, 403 or 603 over WebSocket.
    limit: 'the public’s cost (500): a longer uptime window costs more',
    env: { QUERY_MAX_COST_PUBLIC: '500' },
    http: (over) => ['query($from: DateTime!, $to: DateTime!) { municipality(cbsCode: "GM0534") { services { uptime(from: $from, to: $to) } } }',
      { from: '2020-01-17T00:00:00Z', to: over ? '2020-01-19T00:00:00Z' : '2020-01-18T00:00:00Z' }],
    ws: (over) => ['subscription($from: DateTime!, $to: DateTime!) { statusChanged(municipalityCbsCode: "GM0534") { municipality { services { uptime(from: $from, to: $to) } } } }',
      { from: '2020-01-17T00:00:00Z', to: over ? '2020-01-19T00:00:00Z' : '2020-01-18T00:00:00Z' }],
    token: () => PUBLIC,
    message: /^Query cost limit for the public of 500 exceeded, estimated 60[23]\./,
  },
  {
    limit: 'NUL characters',
    env: {},
    http: (over) => ['query($s: String) { organisations(search: $s) { totalCount } }', { s: over ? 'Lis\u0000se' : 'Lisse' }],
    ws: (over) => ['subscription($cbs: String) { statusChanged(municipalityCbsCode: $cbs) { status } }', { cbs: over ? 'GM\u00000534' : 'GM0534' }],
    message: /^Strings may not contain the NUL character \(U\+0000\)\.$/,
  },
  {
    limit: 'variable types',
    env: {},
    http: (over) => ['query($cbs: String!) { municipality(cbsCode: $cbs) { name } }', { cbs: over ? 534 : 'GM0534' }],
    ws: (over) => ['subscription($cbs: String!) { statusChanged(municipalityCbsCode: $cbs) { status } }', { cbs: over ? 534 : 'GM0534' }],
    message: /^Variable "\$cbs" got invalid value 534; String cannot represent a non string value: 534$/,
  },
  {
    limit: 'calendar dates in variables',
    env: {},
    http: (over) => ['query($at: DateTime) { municipality(cbsCode: "GM0534") { services(asOf: $at) { status } } }', { at: over ? '2020-02-30T00:00:00Z' : '2020-02-29T00:00:00Z' }],
    ws: (over) => ['subscription($at: DateTime) { statusChanged(municipalityCbsCode: "GM0534") { municipality { services(asOf: $at) { status } } } }', { at: over ? '2020-02-30T00:00:00Z' : '2020-02-29T00:00:00Z' }],
    message: /^Variable "\$at" got invalid value "2020-02-30T00:00:00Z"; DateTime 2020-02-30T00:00:00Z is not a real moment/,
  },
];

describe.each(LIMIT_CASES)('$limit', ({ env, http, ws, token, message }) => {
  const caller = () => (token ? token() : coordinator);
  let strict: RunningServer;
  beforeAll(async () => {
    strict = Object.keys(env).length === 0 ? server : await startServer(env);
  });

  test('over HTTP: refused one step over, with BAD_USER_INPUT and a message naming it; answered inside it', async () => {
    const [inside, insideVariables] = http(false);
    expect(await overHttp(inside, insideVariables, caller(), strict)).toEqual({ status: 200, errors: undefined });
    const [over, overVariables] = http(true);
    const refused = await overHttp(over, overVariables, caller(), strict);
    expect(refused.status).toBe(400);
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(refused.errors?.[0].message).toMatch(message);
  });

  test('over WebSocket: the same refusal, the same message; started inside it', async () => {
    const [inside, insideVariables] = ws(false);
    expect(await overWebSocket(inside, insideVariables, caller(), strict)).toEqual({ status: 200 });
    const [over, overVariables] = ws(true);
    const refused = await overWebSocket(over, overVariables, caller(), strict);
    expect(refused.status).toBe(400);
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(refused.errors?.[0].message).toMatch(message);
  });
});

test('an organisation may ask for the uptime window the public may not', async () => {
  const strict = await startServer({ QUERY_MAX_COST_PUBLIC: '500' });
  const [query, variables] = LIMIT_CASES.find((c) => c.env.QUERY_MAX_COST_PUBLIC)!.http(true);
  expect((await overHttp(query, variables, PUBLIC, strict)).status).toBe(400);
  expect(await overHttp(query, variables, coordinator, strict)).toEqual({ status: 200, errors: undefined });
});

test('the operation type belongs to its transport: subscriptions over WebSocket, queries and mutations over HTTP', async () => {
  const overHttpSubscription = await overHttp('subscription { statusChanged(municipalityCbsCode: "GM0534") { status } }', {}, coordinator);
  expect(overHttpSubscription).toMatchObject({ status: 400, errors: [{ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('WebSocket') }] });
  const queryOverWs = await overWebSocket('{ municipality(cbsCode: "GM0534") { name } }', {}, coordinator);
  expect(queryOverWs).toMatchObject({ status: 400, errors: [{ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringContaining('HTTP') }] });
});

test('an impossible calendar date as a literal is BAD_USER_INPUT over both, never rolled over to the next month', async () => {
  const http = await overHttp('{ municipality(cbsCode: "GM0534") { services(asOf: "2020-02-30T12:00:00+01:00") { status } } }', {}, coordinator);
  expect(http.status).toBe(400);
  expect(http.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  const ws = await overWebSocket('subscription { statusChanged(municipalityCbsCode: "GM0534") { municipality { services(asOf: "2020-02-30T12:00:00+01:00") { status } } } }', {}, coordinator);
  expect(ws.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  expect(ws.errors?.[0].message).toBe(http.errors?.[0].message);
});

describe('cursors', () => {
  /** Well-formed keyset cursors whose timestamps PostgreSQL cannot read, or JavaScript would roll over. */
  const forged = ['0000-01-01T00:00:00.000Z', '2020-02-30T00:00:00.000Z', '2020-13-01T00:00:00.000Z']
    .map((at) => Buffer.from(JSON.stringify([at, 1])).toString('base64url'));

  test('a forged `after` with year 0000 or an impossible day is BAD_USER_INPUT naming `after` over HTTP', async () => {
    const [{ id }] = await db.dataSource.query(`SELECT id FROM component WHERE name = 'Centric Citrix server'`);
    const componentId = Buffer.from(`Component:${id}`).toString('base64url');
    const forgedIncident = Buffer.from(JSON.stringify(['0000-01-01T00:00:00.000Z', id])).toString('base64url');
    const incidents = await overHttp('query($after: String) { incidents(after: $after) { totalCount } }', { after: forgedIncident }, coordinator);
    expect(incidents.errors?.map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT', field: 'after' }]);
    for (const after of forged) {
      const history = await overHttp('query($id: ID!, $after: String) { component(id: $id) { statusHistory(after: $after) { totalCount } } }', { id: componentId, after }, coordinator);
      expect(history.errors?.map((e) => [e.message, e.extensions])).toEqual([[expect.any(String), { code: 'BAD_USER_INPUT', field: 'after' }]]);
    }
  });

  test('and the same inside a subscription, when the event that resolves it arrives', async () => {
    const [{ id }] = await db.dataSource.query(`SELECT id FROM component WHERE name = 'Centric Citrix server'`);
    const componentId = Buffer.from(`Component:${id}`).toString('base64url');
    const client = liveClient(server.url, coordinator);
    try {
      const subscription = new LiveSubscription(client, `subscription($id: ID, $after: String) {
        statusChanged(componentId: $id) { status component { statusHistory(after: $after) { totalCount } } } }`, { id: componentId, after: forged[0] });
      await waitUntil(() => server.events.listenerCount > 0 || subscription.failure !== null || subscription.results.length > 0, 5000, 'the subscription');
      expect({ failure: subscription.failure, results: subscription.results }).toEqual({ failure: null, results: [] });
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${coordinator}` },
        body: JSON.stringify({ query: 'mutation($input: ReportStatusInput!) { reportStatus(input: $input) { current } }',
          variables: { input: { componentId, status: 'DEGRADED_PERFORMANCE', cause: 'FAILURE' } } }),
      });
      expect(response.status).toBe(200);
      const event = await subscription.next(5000);
      // statusHistory is non-null all the way up: the refusal takes the event's data with it, as over HTTP.
      expect(event.errors?.map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT', field: 'after' }]);
    } finally {
      await client.dispose();
    }
  });
});

test('a WebSocket frame over the body limit is refused (1009) with one warning line and no stack trace', async () => {
  const errorsBefore = jest.spyOn(console, 'error');
  logged.length = 0;
  const socket = new WebSocket(server.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const closed = new Promise<{ code: number }>((resolve) => socket.once('close', (code) => resolve({ code })));
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(110 * 1024) } }));
  expect(await closed).toEqual({ code: 1009 });
  await waitUntil(() => logged.length > 0, 2000, 'the log line');
  expect(logged).toEqual([{ level: 'warn', message: 'WebSocket connection closed: the client broke the protocol', fields: { code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH', reason: 'Max payload size exceeded' } }]);
  expect(JSON.stringify(logged)).not.toMatch(/\n\s+at |\.ts:\d+/);
  expect(errorsBefore).not.toHaveBeenCalled();
  errorsBefore.mockRestore();
});
