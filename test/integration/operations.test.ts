import http from 'node:http';
import net from 'node:net';
import { gunzipSync } from 'node:zlib';
import { loadConfig } from '../../src/config';
import { dedicatedProbe } from '../../src/db/database-probe';
import { QueryCounter } from '../../src/db/query-counter';
import { createLog } from '../../src/log';
import { issueFirstTokenIfNone } from '../../src/modules/access';
import { openHttpListener } from '../../src/platform/http-listener';
import { Readiness } from '../../src/platform/readiness';
import { loadDemoScenario } from '../../src/seed/demo-scenario';
import { RunningServer, startHttpServer } from '../../src/server';
import { openTestDatabase, TestDatabase } from '../helpers/database';
import { liveClient, LiveSubscription, waitUntil } from '../helpers/live';

/**
 * What the people who run ketenbeeld see of it: the request log, /metrics, the probes, CORS,
 * compression, and a drain that cuts no request off.
 */
let db: TestDatabase;
let server: RunningServer;
let token: string;
const logged: string[] = [];

const config = (env: Record<string, string> = {}) => loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', ...env });

beforeAll(async () => {
  db = await openTestDatabase();
  await db.dataSource.transaction((manager) => loadDemoScenario(manager));
  token = (await issueFirstTokenIfNone(db.dataSource))!.secret;
  server = await startHttpServer(config(), db.dataSource, createLog('info', { write: (line: string) => void logged.push(line) }));
});
afterAll(async () => {
  await server.stop();
  await db.close();
});

async function post(body: object, headers: Record<string, string> = {}) {
  const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.status, headers: response.headers, body: await response.json() as { data?: any; errors?: { extensions?: { code?: string } }[] } };
}

function logLine(requestId: string | null): Record<string, unknown> | undefined {
  return logged.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === 'request' && line.requestId === requestId);
}

async function metrics(): Promise<string> {
  return (await fetch(server.url.replace('/graphql', '/metrics'))).text();
}

describe('the request log', () => {
  test('one JSON line per request: request id, operation, caller organisation and role, status, outcome, duration; never the token', async () => {
    const ok = await post({ query: 'query Dashboard { municipality(cbsCode: "GM0534") { services { status } } }', operationName: 'Dashboard' }, { authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    const coordinator = (await db.dataSource.query(`SELECT organisation_id FROM access_token`))[0].organisation_id as string;
    await waitUntil(() => logLine(ok.headers.get('x-request-id')) !== undefined, 2000, 'the request line');
    expect(logLine(ok.headers.get('x-request-id'))).toMatchObject({
      level: 'info', operationName: 'Dashboard', operationType: 'query', organisationId: coordinator, role: 'COORDINATOR', status: 200, outcome: 'OK',
      ms: expect.any(Number), time: expect.any(String),
    });

    const forged = await post({ query: '{ viewer { kind } }' }, { authorization: 'Bearer kb_forged-token-value' });
    expect(forged.status).toBe(401);
    await waitUntil(() => logLine(forged.headers.get('x-request-id')) !== undefined, 2000, 'the refusal line');
    expect(logLine(forged.headers.get('x-request-id'))).toMatchObject({ status: 401, outcome: 'UNAUTHENTICATED', organisationId: null });

    const broken = await post({ query: '{ municipality(' });
    await waitUntil(() => logLine(broken.headers.get('x-request-id')) !== undefined, 2000, 'the syntax error line');
    expect(logLine(broken.headers.get('x-request-id'))).toMatchObject({ status: 400, outcome: 'BAD_USER_INPUT', role: 'PUBLIC' });

    expect(logged.join('\n')).not.toContain(token);
    expect(logged.join('\n')).not.toContain('kb_forged-token-value');
  });

  test('LOG_LEVEL is honoured, and a token passed in any field is redacted', () => {
    const lines: string[] = [];
    const log = createLog('warn', { write: (line: string) => void lines.push(line) });
    log.info('not written at warn');
    log.warn('upgrade refused', { headers: { authorization: 'Bearer kb_secret1' }, connectionParams: { authorization: 'Bearer kb_secret2' }, token: 'kb_secret3' });
    log.error('failed', { error: new Error('boom') });
    expect(lines).toHaveLength(2);
    expect(lines.join('')).not.toMatch(/kb_secret/);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'warn', msg: 'upgrade refused', headers: { authorization: '[redacted]' } });
    expect(JSON.parse(lines[1]).error).toMatchObject({ type: 'Error', message: 'boom', stack: expect.stringContaining('boom') });
  });

  test('LOG_LEVEL=debug adds every SQL statement, without its parameters; slow and failed ones are warnings', () => {
    const lines: string[] = [];
    const capture = { write: (line: string) => void lines.push(line) };
    new QueryCounter(createLog('info', capture)).logQuery('SELECT 1 FROM organisation WHERE id = $1');
    expect(lines).toEqual([]);
    const counter = new QueryCounter(createLog('debug', capture));
    counter.logQuery('SELECT 1 FROM organisation WHERE id = $1');
    counter.logQuerySlow(1500, 'SELECT pg_sleep(1.5)');
    counter.logQueryError(Object.assign(new Error('duplicate key'), { code: '23505' }), 'INSERT INTO organisation VALUES ($1)');
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ level: 'debug', msg: 'query', query: 'SELECT 1 FROM organisation WHERE id = $1' }),
      expect.objectContaining({ level: 'warn', msg: 'slow query', ms: 1500 }),
      expect.objectContaining({ level: 'warn', msg: 'query failed', sqlState: '23505' }),
    ]);
    expect(counter.count).toBe(1);
  });
});

test('/metrics: latency per operation, errors per code, the pool, WebSocket connections and subscriptions', async () => {
  await post({ query: 'query Counted { __typename }', operationName: 'Counted' });
  await post({ query: '{ viewer { kind } }' }, { authorization: 'Bearer kb_unknown' });
  const client = liveClient(server.url);
  const subscription = new LiveSubscription(client, `subscription { statusChanged(municipalityCbsCode: "GM0534") { status } }`);
  try {
    await waitUntil(() => server.events.listenerCount > 0, 3000, 'the subscription');
    const text = await metrics();
    expect(text).toMatch(/ketenbeeld_graphql_request_duration_seconds_count\{operation="Counted",type="query",outcome="OK"\} [1-9]/);
    expect(text).toMatch(/ketenbeeld_graphql_errors_total\{code="UNAUTHENTICATED"\} [1-9]/);
    expect(text).toMatch(/ketenbeeld_db_pool_connections\{state="max"\} [1-9]/);
    expect(text).toMatch(/ketenbeeld_websocket_connections [1-9]/);
    expect(text).toMatch(/ketenbeeld_subscriptions [1-9]/);
    for (const name of ['ketenbeeld_rate_limit_refusals_total', 'ketenbeeld_event_delivery_lag_seconds', 'ketenbeeld_picture_upkeep_seconds', 'ketenbeeld_picture_upkeep_phase_seconds', 'process_cpu_seconds_total']) {
      expect(text).toContain(`# TYPE ${name}`);
    }
  } finally {
    subscription.close();
    await client.dispose();
  }
});

test('/metrics: a write\'s upkeep of the picture, per phase (a long lock is a write waiting for another)', async () => {
  const [{ id }]: { id: string }[] = await db.dataSource.query(
    `SELECT c.id FROM component c JOIN live_status l ON l.component_id = c.id AND l.status = 'OPERATIONAL'
      WHERE EXISTS (SELECT 1 FROM dependency d WHERE d.depends_on_id = c.id AND d.removed_at IS NULL) ORDER BY c.name LIMIT 1`);
  // OPERATIONAL again: nothing changes for anyone, and every phase still runs.
  const reported = await post({
    query: 'mutation ($input: ReportStatusInput!) { reportStatus(input: $input) { current } }',
    variables: { input: { componentId: Buffer.from(`Component:${id}`).toString('base64url'), status: 'OPERATIONAL' } },
  }, { authorization: `Bearer ${token}` });
  expect(reported.body).toEqual({ data: { reportStatus: { current: true } } });
  const text = await metrics();
  for (const phase of ['read', 'lock', 'judge', 'write', 'change set']) {
    expect(text).toMatch(new RegExp(`ketenbeeld_picture_upkeep_phase_seconds_count\\{write="report",phase="${phase}"\\} [1-9]`));
  }
});

test('CORS lets browser clients read Retry-After, x-request-id and ETag', async () => {
  const answer = await fetch(server.url, { method: 'POST', headers: { origin: 'https://dashboard.example.nl', 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
  const exposed = (answer.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(',');
  expect(exposed).toEqual(expect.arrayContaining(['retry-after', 'x-request-id', 'etag']));
});

test('large answers are compressed for clients that accept it; small ones are not', async () => {
  const raw = (body: object) => new Promise<{ encoding: string | undefined; bytes: Buffer }>((resolve, reject) => {
    const request = http.request(server.url, { method: 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip' } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ encoding: response.headers['content-encoding'], bytes: Buffer.concat(chunks) }));
    });
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
  const large = await raw({ query: '{ __schema { types { name description fields { name description } } } }' });
  expect(large.encoding).toBe('gzip');
  const schema = JSON.parse(gunzipSync(large.bytes).toString('utf8'));
  expect(schema.data.__schema.types.length).toBeGreaterThan(20);
  expect(gunzipSync(large.bytes).length).toBeGreaterThan(large.bytes.length * 3);
  const small = await raw({ query: '{ __typename }' });
  expect(small.encoding).toBeUndefined();
});

describe('probes', () => {
  async function listener(readiness: Readiness) {
    return openHttpListener(config({ READINESS_TIMEOUT_MS: '1000' }), createLog('silent'), readiness);
  }
  const get = async (url: string, path: string) => {
    const response = await fetch(url.replace('/graphql', path));
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() as any };
  };

  test('/livez always; /readyz only once ready, not while draining; /graphql says 503 while starting', async () => {
    const readiness = new Readiness();
    const probes = await listener(readiness);
    const probe = dedicatedProbe(db.url);
    try {
      expect(await get(probes.url, '/livez')).toMatchObject({ status: 200 });
      expect(await get(probes.url, '/readyz')).toMatchObject({ status: 503, body: { status: 'starting' } });
      const starting = await fetch(probes.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      expect(starting.status).toBe(503);
      expect(Number(starting.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await starting.json() as any).errors[0].extensions.code).toBe('SERVICE_UNAVAILABLE');
      readiness.checkDatabaseWith((ms) => probe.check(ms));
      readiness.ready();
      expect(await get(probes.url, '/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } });
      readiness.drain();
      expect(await get(probes.url, '/readyz')).toMatchObject({ status: 503, body: { status: 'draining' } });
      expect(await get(probes.url, '/livez')).toMatchObject({ status: 200 });
    } finally {
      await probe.close();
      await probes.drain(1000);
      await probes.close();
    }
  });

  test('/readyz says 503 within its timeout when PostgreSQL does not answer, on a connection of its own', async () => {
    // A server that accepts connections and never answers: PostgreSQL paused (SIGSTOP), or a network gone.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const readiness = new Readiness('ready');
    const probe = dedicatedProbe(`postgres://postgres@127.0.0.1:${port}/postgres`);
    readiness.checkDatabaseWith((ms) => probe.check(ms));
    const probes = await listener(readiness);
    try {
      const started = Date.now();
      expect(await get(probes.url, '/readyz')).toMatchObject({ status: 503, body: { status: 'database unavailable' } });
      expect(Date.now() - started).toBeLessThan(2500);
      expect(await get(probes.url, '/livez')).toMatchObject({ status: 200 });
    } finally {
      await probe.close();
      for (const socket of sockets) socket.destroy();
      silent.close();
      await probes.drain(1000);
      await probes.close();
    }
  });
});

describe('drain', () => {
  /** Plain node:http with a keep-alive agent of one socket, so the second request reuses the first's connection. */
  function request(url: string, agent: http.Agent) {
    return new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const outgoing = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode!, connection: response.headers.connection }));
      });
      outgoing.on('error', reject);
      outgoing.end('{}');
    });
  }

  test('requests in flight and requests arriving on kept-alive connections are answered, with Connection: close; new connections are refused', async () => {
    const probes = await openHttpListener(config(), createLog('silent'), new Readiness('ready'));
    probes.serveGraphQL((_request, response) => {
      setTimeout(() => response.json({ data: { slow: true } }), 300);
    });
    const idleAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const busyAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await request(probes.url, idleAgent)).toEqual({ status: 200, connection: 'keep-alive' });
      const inFlight = request(probes.url, busyAgent);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const drained = probes.drain(10_000);
      // On the idle kept-alive connection, after the drain began: served, not reset.
      expect(await request(probes.url, idleAgent)).toEqual({ status: 200, connection: 'close' });
      expect(await inFlight).toEqual({ status: 200, connection: 'close' });
      await expect(request(probes.url, new http.Agent())).rejects.toThrow(/ECONNREFUSED/);
      const started = Date.now();
      await drained;
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      idleAgent.destroy();
      busyAgent.destroy();
      await probes.close();
    }
  });
});
