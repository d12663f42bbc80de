import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ConfigError, loadConfig } from '../../src/config';
import { createLog } from '../../src/log';
import { issueToken } from '../../src/modules/access';
import { Organisation } from '../../src/modules/organisation';
import { rateLimitedNetwork } from '../../src/platform/client-address';
import { RateLimited, RateLimits } from '../../src/platform/rate-limit';
import { SHARE_AFTER_MS } from '../../src/platform/shared-counts';
import { poolOf } from '../../src/db/pool';
import { loadDemoScenario } from '../../src/seed/demo-scenario';
import { RunningServer, startHttpServer } from '../../src/server';
import { openTestDatabase, TestDatabase } from '../helpers/database';
import { LiveSubscription, waitUntil } from '../helpers/live';

/**
 * The rate limits (src/platform/rate-limit.ts, src/caller.ts): per token, per client address for
 * the public and for failed authentications before any lookup, shared by instances through
 * PostgreSQL, behind a configured proxy, over HTTP and WebSocket.
 */
let db: TestDatabase;
const servers: RunningServer[] = [];

async function startServer(env: Record<string, string>): Promise<RunningServer> {
  const server = await startHttpServer(loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', ...env }), db.dataSource, createLog('silent'));
  servers.push(server);
  return server;
}

/** A token of its own for each test: counts are shared, and outlive a server. */
async function freshToken(): Promise<string> {
  const coordinator = await db.dataSource.manager.findOneByOrFail(Organisation, { kind: 'COORDINATOR' });
  return (await issueToken(db.dataSource.manager, { organisationId: coordinator.id, role: 'COORDINATOR', expiresInDays: 1, label: 'rate limit test', issuedByTokenId: null })).secret;
}

beforeAll(async () => {
  db = await openTestDatabase();
  await db.dataSource.transaction((manager) => loadDemoScenario(manager));
});
afterAll(async () => {
  for (const server of servers) await server.stop();
  await db.close();
});

interface Answer {
  status: number;
  retryAfter: string | null;
  codes: unknown[] | undefined;
  message?: string;
}

async function ask(server: RunningServer, headers: Record<string, string> = {}, query = '{ __typename }'): Promise<Answer> {
  const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  const body = (await response.json()) as { errors?: { message: string; extensions?: { code?: unknown } }[] };
  return { status: response.status, retryAfter: response.headers.get('retry-after'), codes: body.errors?.map((e) => e.extensions?.code), message: body.errors?.[0]?.message };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const ANSWERED = { status: 200, retryAfter: null, codes: undefined, message: undefined };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test('a token that has used its burst gets 429 RATE_LIMITED with Retry-After, on every instance; another token and the public do not', async () => {
  // Burst 3 at 6 a minute: 3 requests per window of 30 s.
  const env = { RATE_LIMIT_PER_MINUTE: '6', RATE_LIMIT_BURST: '3' };
  const [a, b] = [await startServer(env), await startServer(env)];
  const [token, other] = [await freshToken(), await freshToken()];

  expect(await ask(a, bearer(token))).toEqual(ANSWERED);
  expect(await ask(b, bearer(token))).toEqual(ANSWERED);
  expect(await ask(a, bearer(token))).toEqual(ANSWERED);
  // In the second half of the burst each count is shared before it is decided: both instances know it is used.
  for (const server of [b, a]) {
    const refused = await ask(server, bearer(token));
    expect(refused).toMatchObject({ status: 429, codes: ['RATE_LIMITED'], message: expect.stringMatching(/^Too many requests: try again in \d+ s\.$/) });
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(30);
  }
  // Refusing stays cheap: a refused caller is turned away at the door, before its body is read
  // (this one is not even JSON) or its query parsed.
  const unread = await fetch(a.url, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(token) }, body: '{"query": "{' });
  expect({ status: unread.status, retryAfter: Number(unread.headers.get('retry-after')) > 0, body: await unread.json() })
    .toEqual({ status: 429, retryAfter: true, body: { errors: [{ message: expect.stringMatching(/^Too many requests/), extensions: { code: 'RATE_LIMITED' } }] } });

  expect(await ask(a, bearer(other))).toEqual(ANSWERED);
  expect(await ask(b, {})).toEqual(ANSWERED);
});

test('failed authentications count per address before any token is looked up: 401 within the budget, then 429 without a lookup', async () => {
  const env = { RATE_LIMIT_FAILED_AUTH_PER_MINUTE: '3', TRUST_PROXY: 'loopback' };
  const [a, b] = [await startServer(env), await startServer(env)];
  const attacker = { 'x-forwarded-for': '198.51.100.7' };
  const unknown = (i: number) => ({ ...attacker, authorization: `Bearer kb_unknown-${i}` });

  expect(await ask(a, unknown(1))).toMatchObject({ status: 401, codes: ['UNAUTHENTICATED'] });
  expect(await ask(b, unknown(2))).toMatchObject({ status: 401, codes: ['UNAUTHENTICATED'] });
  expect(await ask(a, unknown(3))).toMatchObject({ status: 401, codes: ['UNAUTHENTICATED'] });
  // The fourth, on either instance: the shared count says the budget is gone.
  const refused = await ask(b, unknown(4));
  expect(refused).toMatchObject({ status: 429, codes: ['RATE_LIMITED'] });
  expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);

  // From then on that instance refuses without asking the database who the token is (at the door,
  // after a pause: the guesser was told to wait).
  const lookups = db.queries.count;
  const started = Date.now();
  for (let i = 5; i < 8; i++) expect(await ask(b, unknown(i))).toMatchObject({ status: 429, codes: ['RATE_LIMITED'] });
  expect(db.queries.count - lookups).toBe(0);
  expect(Date.now() - started).toBeGreaterThanOrEqual(2900);

  // A token first presented from that address now waits too: it could be the next guess. The public
  // there is served, and so is a token that authenticated lately (the dashboard beside the guesser
  // behind the same office address), here or from elsewhere.
  const [newcomer, regular] = [await freshToken(), await freshToken()];
  expect(await ask(b, { ...attacker, ...bearer(newcomer) })).toMatchObject({ status: 429 });
  expect(await ask(b, attacker)).toEqual(ANSWERED);
  expect(await ask(b, { 'x-forwarded-for': '198.51.100.8', ...bearer(regular) })).toEqual(ANSWERED);
  expect(await ask(b, { ...attacker, ...bearer(regular) })).toEqual(ANSWERED);
});

test('behind a trusted proxy each client address has its own budget; without TRUST_PROXY X-Forwarded-For is ignored', async () => {
  const env = { RATE_LIMIT_PER_MINUTE: '4', RATE_LIMIT_BURST: '2' };
  const proxied = await startServer({ ...env, TRUST_PROXY: 'loopback' });
  const from = (address: string) => ({ 'x-forwarded-for': address });

  expect(await ask(proxied, from('203.0.113.1'))).toEqual(ANSWERED);
  expect(await ask(proxied, from('203.0.113.1'))).toEqual(ANSWERED);
  expect(await ask(proxied, from('203.0.113.1'))).toMatchObject({ status: 429 });
  expect(await ask(proxied, from('203.0.113.2'))).toEqual(ANSWERED);
  // A client cannot pick a fresh address by writing one in front: the proxy appends the real one.
  expect(await ask(proxied, from('192.0.2.99, 203.0.113.1'))).toMatchObject({ status: 429 });
  // IPv6 clients are counted by their /64.
  expect(await ask(proxied, from('2001:db8:5:6::1'))).toEqual(ANSWERED);
  expect(await ask(proxied, from('2001:db8:5:6::2'))).toEqual(ANSWERED);
  expect(await ask(proxied, from('2001:db8:5:6:ffff::3'))).toMatchObject({ status: 429 });

  // Not configured: the header is the client's word, and the socket's address counts (127.0.0.1,
  // which other tests here have counted already: start its window afresh).
  await db.dataSource.query(`DELETE FROM rate_limit WHERE key = 'caller:public:127.0.0.1'`);
  const direct = await startServer(env);
  expect(await ask(direct, from('203.0.113.50'))).toEqual(ANSWERED);
  expect(await ask(direct, from('203.0.113.51'))).toEqual(ANSWERED);
  expect(await ask(direct, from('203.0.113.52'))).toMatchObject({ status: 429 });
});

/** A graphql-ws client whose WebSocket upgrade carries `headers` (as a proxy's would). */
function client(server: RunningServer, headers: Record<string, string>, token?: string) {
  class WithHeaders extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  return createClient({
    url: server.url.replace(/^http/, 'ws'), webSocketImpl: WithHeaders, retryAttempts: 0, lazy: true,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  });
}

test('over WebSocket the same budgets: a subscription counts as a request, a refused token as a failed authentication', async () => {
  const server = await startServer({ RATE_LIMIT_PER_MINUTE: '4', RATE_LIMIT_BURST: '2', RATE_LIMIT_FAILED_AUTH_PER_MINUTE: '2', TRUST_PROXY: 'loopback' });
  const subscribe = async (headers: Record<string, string>, token?: string) => {
    const opened = client(server, headers, token);
    const subscription = new LiveSubscription(opened, 'subscription { statusChanged(municipalityCbsCode: "GM0534") { status } }');
    const before = server.events.listenerCount;
    try {
      await waitUntil(() => subscription.failure !== null || subscription.results.length > 0 || server.events.listenerCount > before, 5000, 'an outcome');
      return subscription.failure ?? subscription.results[0] ?? 'started';
    } finally {
      await opened.dispose();
    }
  };
  const resident = { 'x-forwarded-for': '203.0.113.70' };
  expect(await ask(server, resident)).toEqual(ANSWERED);
  expect(await subscribe(resident)).toBe('started');
  expect(await subscribe(resident)).toEqual([expect.objectContaining({ extensions: { code: 'RATE_LIMITED' } })]);

  const guesser = { 'x-forwarded-for': '203.0.113.71' };
  expect(await subscribe(guesser, 'kb_unknown-1')).toMatchObject({ code: 4403 });
  expect(await subscribe(guesser, 'kb_unknown-2')).toMatchObject({ code: 4403 });
  expect(await subscribe(guesser, 'kb_unknown-3')).toMatchObject({ code: 4429, reason: expect.stringMatching(/^Too many requests: try again in \d+ s\.$/) });
  // And the failures over WebSocket count over HTTP.
  expect(await ask(server, { ...guesser, authorization: 'Bearer kb_unknown-4' })).toMatchObject({ status: 429 });
});

test('the work a caller asks for is counted too: within its request rate the public cannot ask for the heaviest questions back to back', async () => {
  // The public dashboard with a week of uptime costs 2 + 200 × (uptime 1 + 7 + status 1) = 1,802.
  const server = await startServer({ QUERY_MAX_COST_PUBLIC: '2000', QUERY_COST_PER_MINUTE_PUBLIC: '4000', QUERY_MAX_COST: '4000', QUERY_COST_PER_MINUTE: '4000', TRUST_PROXY: 'loopback' });
  const dashboard = `{ municipality(cbsCode: "GM0534") { services { status uptime(from: "2020-01-13T00:00:00+01:00", to: "2020-01-20T00:00:00+01:00") } } }`;
  const from = (address: string) => ({ 'x-forwarded-for': address });
  expect(await ask(server, from('203.0.113.80'), dashboard)).toEqual(ANSWERED);
  expect(await ask(server, from('203.0.113.80'), dashboard)).toEqual(ANSWERED);
  const refused = await ask(server, from('203.0.113.80'), dashboard);
  expect(refused).toMatchObject({ status: 429, codes: ['RATE_LIMITED'] });
  expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
  // Cheap questions from there wait too (the minute's work is spent), but nobody else's.
  expect(await ask(server, from('203.0.113.80'))).toMatchObject({ status: 429 });
  expect(await ask(server, from('203.0.113.81'), dashboard)).toEqual(ANSWERED);
  // A token has a work budget of its own.
  const token = await freshToken();
  expect(await ask(server, { ...from('203.0.113.80'), ...bearer(token) }, dashboard)).toEqual(ANSWERED);
});

test('instances count in memory and share within SHARE_AFTER_MS, one statement for every key counted meanwhile; in the second half of a budget before deciding', async () => {
  const pool = poolOf(db.dataSource);
  const store = { statements: 0, query(statement: { text: string; values?: unknown[] }) { store.statements += 1; return pool.query(statement); } };
  const settings = { perMinute: 60, burst: 10, failedAuthPerMinute: 2, costPerMinute: 100, costPerMinutePublic: 10 };
  const [a, b] = [new RateLimits(settings, store), new RateLimits(settings, store)];
  for (let i = 0; i < 3; i++) await a.request({ tokenId: 'shared-counts-1' });
  for (let i = 0; i < 3; i++) await a.request('192.0.2.60');
  await b.request({ tokenId: 'shared-counts-1' });
  // Within the first half of the budget counting costs no SQL; the shares follow, one statement per instance.
  expect(store.statements).toBe(0);
  await pause(SHARE_AFTER_MS * 3);
  expect(store.statements).toBe(2);
  const rows: { key: string; points: number }[] = await db.dataSource.query(`SELECT key, points FROM rate_limit WHERE key IN ('caller:token:shared-counts-1', 'caller:public:192.0.2.60') ORDER BY key`);
  expect(rows).toEqual([{ key: 'caller:public:192.0.2.60', points: 3 }, { key: 'caller:token:shared-counts-1', points: 4 }]);
  // b knows the four; the rest of the budget, six, is all it admits, and then neither instance admits more.
  let admitted = 0;
  for (let i = 0; i < 8; i++) admitted += await b.request({ tokenId: 'shared-counts-1' }).then(() => 1, () => 0);
  expect(admitted).toBe(6);
  // a last heard of four: in the first half of the budget as it knows it, it admits one more on that
  // knowledge; its share tells it the rest, and from then on it refuses too. That is the overrun the
  // design allows: up to half a budget per instance, within SHARE_AFTER_MS.
  await a.request({ tokenId: 'shared-counts-1' });
  await pause(SHARE_AFTER_MS * 3);
  await expect(a.request({ tokenId: 'shared-counts-1' })).rejects.toBeInstanceOf(RateLimited);
  // A failed authentication is shared before it is decided: the third anywhere is refused.
  const failing = () => Promise.reject(new Error('unknown token'));
  const how = { isRefusal: () => true, tokenIdOf: () => null };
  await expect(a.identify({ clientAddress: '192.0.2.61', credential: 'kb_x1', isRequest: true }, failing, how)).rejects.toThrow('unknown token');
  await expect(b.identify({ clientAddress: '192.0.2.61', credential: 'kb_x2', isRequest: true }, failing, how)).rejects.toThrow('unknown token');
  await expect(a.identify({ clientAddress: '192.0.2.61', credential: 'kb_x3', isRequest: true }, failing, how)).rejects.toBeInstanceOf(RateLimited);
  await a.close();
  await b.close();
});

test('when PostgreSQL does not answer the counts, each instance counts in its own memory within half a second', async () => {
  const hanging = { query: () => new Promise<never>(() => {}) };
  const limits = new RateLimits({ perMinute: 60, burst: 2, failedAuthPerMinute: 1, costPerMinute: 100, costPerMinutePublic: 10 }, hanging);
  const started = Date.now();
  await limits.request('192.0.2.1');
  await limits.request('192.0.2.1');
  await expect(limits.request('192.0.2.1')).rejects.toBeInstanceOf(RateLimited);
  // A failed authentication waits for the shared count at most half a second, then decides on this instance's.
  const how = { isRefusal: () => true, tokenIdOf: () => null };
  await expect(limits.identify({ clientAddress: '192.0.2.2', credential: 'kb_y1', isRequest: true }, () => Promise.reject(new Error('unknown token')), how)).rejects.toThrow('unknown token');
  await expect(limits.identify({ clientAddress: '192.0.2.2', credential: 'kb_y2', isRequest: true }, () => Promise.reject(new Error('unknown token')), how)).rejects.toBeInstanceOf(RateLimited);
  expect(Date.now() - started).toBeLessThan(2500);
  const failing = { query: () => Promise.reject(new Error('connection refused')) };
  const fallback = new RateLimits({ perMinute: 60, burst: 1, failedAuthPerMinute: 1, costPerMinute: 100, costPerMinutePublic: 10 }, failing);
  await fallback.request({ tokenId: 't' });
  await expect(fallback.request({ tokenId: 't' })).rejects.toMatchObject({ retryAfterSeconds: expect.any(Number) });
});

test('IPv6 addresses are counted by /64, IPv4 one by one', () => {
  expect(rateLimitedNetwork('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
  expect(rateLimitedNetwork('2001:0db8:0001:0002::9')).toBe('2001:db8:1:2::/64');
  expect(rateLimitedNetwork('2001:db8::1')).toBe('2001:db8:0:0::/64');
  expect(rateLimitedNetwork('::1')).toBe('0:0:0:0::/64');
  expect(rateLimitedNetwork('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  expect(rateLimitedNetwork('192.0.2.1')).toBe('192.0.2.1');
});

test('TRUST_PROXY: hop counts, addresses, ranges and named ranges; `true` and nonsense stop the start with the name', () => {
  expect(loadConfig({}).trustProxy).toBe(false);
  expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
  expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8, 2001:db8::/32, 192.0.2.10' }).trustProxy).toEqual(['loopback', '10.0.0.0/8', '2001:db8::/32', '192.0.2.10']);
  expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: true would believe any client/);
  expect(() => loadConfig({ TRUST_PROXY: 'the load balancer' })).toThrow(ConfigError);
  expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
  expect(() => loadConfig({ RATE_LIMIT_PER_MINUTE: '1', RATE_LIMIT_BURST: '61' })).toThrow(/RATE_LIMIT_BURST/);
});
