import fs from 'node:fs';
import {
  getNamedType,
  GraphQLField,
  GraphQLInputType,
  GraphQLNamedType,
  GraphQLSchema,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isUnionType,
} from 'graphql';
import { loadConfig } from '../../src/config';
import type { Log } from '../../src/log';
import { issueFirstTokenIfNone } from '../../src/modules/access';
import { createSchema, resolvers } from '../../src/schema';
import { loadDemoScenario } from '../../src/seed/demo-scenario';
import { RunningServer, startHttpServer } from '../../src/server';
import { openTestDatabase, TestDatabase } from '../helpers/database';

/**
 * A few thousand generated requests over real HTTP against the production configuration: valid
 * queries walked from the schema, the same with wrong types and broken syntax, floods of depth,
 * aliases, directives and tokens, huge strings, and malformed HTTP. Whatever comes in, the server
 * must answer with a 2xx or 4xx, in JSON, with codes from the closed list and never
 * INTERNAL_SERVER_ERROR, and without a stack trace, SQL or a file path; and it must still answer
 * the dashboard afterwards. The generator is seeded, so a failure replays exactly.
 */
const SEED = 20200117;
const REQUESTS = 2000;
const CONCURRENCY = 8;
const CODES = new Set(['BAD_USER_INPUT', 'UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'RATE_LIMITED']);
/** What only the server's insides would put in a response: stack frames, driver and ORM errors, paths. */
const LEAKS = /\n\s+at |at [\w.<>]+ \(|node_modules|\/work\/|\/src\/|QueryFailedError|TypeORM|EntityNotFound|duplicate key|violates|relation "|column "|syntax error at or near|invalid input syntax|ECONNREFUSED|pg_/i;

let db: TestDatabase;
let server: RunningServer;
let token: string;
const serverErrors: string[] = [];

/** Keeps what the server logs as an error, to show beside a failing request. */
const log: Log = {
  debug() {},
  info() {},
  warn() {},
  error(message, fields) {
    serverErrors.push(`${message} ${JSON.stringify(fields)}`.slice(0, 2000));
  },
};

beforeAll(async () => {
  db = await openTestDatabase();
  await db.dataSource.transaction((manager) => loadDemoScenario(manager));
  token = (await issueFirstTokenIfNone(db.dataSource))!.secret;
  const config = loadConfig({
    NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent',
    // The fuzz test is not about the rate limit (hardening.test.ts is): out of its way.
    RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_BURST: '1000000', RATE_LIMIT_FAILED_AUTH_PER_MINUTE: '1000000',
    QUERY_COST_PER_MINUTE: '1000000000', QUERY_COST_PER_MINUTE_PUBLIC: '1000000000',
  });
  server = await startHttpServer(config, db.dataSource, log);
}, 60_000);
afterAll(async () => {
  await server?.stop();
  await db?.close();
});

/** mulberry32: a tiny seeded PRNG, so every run sends the same requests. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (below: number) => Math.floor(next() * below),
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)],
  };
}
type Random = ReturnType<typeof prng>;

/** A request as the fuzzer sends it: a body (object: JSON; string: raw) and headers. */
interface FuzzRequest {
  kind: string;
  method: 'GET' | 'POST';
  body?: unknown;
  query?: string; // GET only
  headers: Record<string, string>;
}

/** Values real enough to reach the database, and values meant to break things. */
interface Pools {
  ids: string[];
  /** Cursors by the list field that gave them out; `after` gets its own list's or, sometimes, another's. */
  cursors: Record<string, string[]>;
}

const STRINGS = [
  'GM0534', 'GM0553', 'GM0855', 'GM1525', 'gm0534', 'GM9999', 'Hillegom', 'Citrix', 'Centric Citrix', '',
  ' ', '%', '_', '\\', "'", '"', "'; DROP TABLE organisation; --", '${jndi:ldap://x}', '<script>alert(1)</script>',
  'Ünïcödé ☃ 💥', '\u202e', '\ud800', 'a\u0000b', 'a\nb', 'x'.repeat(201), 'x'.repeat(5000), '0', '-1', 'null', 'true', '[]', '{}',
  'NaN', '1e309', 'Q29tcG9uZW50Om5vcGU', 'bm9wZQ', 'T3JnYW5pc2F0aW9uOjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwMA',
];
const DATE_TIMES = ['2020-01-17T18:00:00+01:00', '2020-01-20T08:00:00Z', '2020-01-17T18:00:00', '2020-02-30T00:00:00Z', '9999-12-31T23:59:59Z',
  '0001-01-01T00:00:00Z', '-000001-01-01T00:00:00Z', 'yesterday', '2020-01-17T18:00:00+25:00', ''];
const DATES = ['2020-01-17', '2016-12-31', '2020-02-30', '20200117', 'x', ''];
const INTS = [0, 1, 2, 5, 20, 50, 199, 200, 201, -1, 2147483647];
const WRONG_VALUES: unknown[] = [null, true, 1.5, -0, 2147483648, 1e308, 'x', '', [], [1, 'a'], {}, { a: { b: { c: 1 } } }];

/** A value literal of the argument's type, usually right, sometimes of a wrong type (`mistakes`). */
function valueLiteral(type: GraphQLInputType, r: Random, pools: Pools, mistakes: boolean): string {
  if (mistakes && r.chance(0.1)) return r.pick(['null', '1', '1.5', '"x"', 'true', '[]', '{}', 'NOT_AN_ENUM', '$undeclared', '99999999999999999999']);
  if (isNonNullType(type)) return valueLiteral(type.ofType, r, pools, mistakes);
  if (isListType(type)) return `[${Array.from({ length: r.int(3) }, () => valueLiteral(type.ofType, r, pools, mistakes)).join(', ')}]`;
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).filter((f) => isNonNullType(f.type) || r.chance(0.5));
    return `{ ${fields.map((f) => `${f.name}: ${valueLiteral(f.type, r, pools, mistakes)}`).join(', ')} }`;
  }
  if (isEnumType(type)) return r.pick(type.getValues()).name;
  return JSON.stringify(scalarValue(type.name, r, pools));
}

function scalarValue(name: string, r: Random, pools: Pools): unknown {
  switch (name) {
    case 'Int': return r.pick(INTS);
    case 'Float': return r.pick([0, 9.8, -1, 1e308]);
    case 'Boolean': return r.chance(0.5);
    case 'ID': return r.chance(0.8) ? r.pick(pools.ids) : r.pick(STRINGS);
    case 'DateTime': return r.pick(DATE_TIMES);
    case 'Date': return r.pick(DATES);
    default: return r.pick(STRINGS);
  }
}

/** A JSON variable value for a type: right, or (with `mistakes`) often of the wrong JSON type. */
function variableValue(type: GraphQLInputType, r: Random, pools: Pools, mistakes: boolean): unknown {
  if (mistakes && r.chance(0.25)) return r.pick(WRONG_VALUES);
  if (isNonNullType(type)) return variableValue(type.ofType, r, pools, mistakes);
  if (isListType(type)) return Array.from({ length: r.int(3) }, () => variableValue(type.ofType, r, pools, mistakes));
  if (isInputObjectType(type)) {
    return Object.fromEntries(Object.values(type.getFields())
      .filter((f) => isNonNullType(f.type) || r.chance(0.5))
      .map((f) => [f.name, variableValue(f.type, r, pools, mistakes)]));
  }
  if (isEnumType(type)) return mistakes && r.chance(0.2) ? 'MUNICIPALITI' : r.pick(type.getValues()).name;
  return scalarValue(type.name, r, pools);
}

/** A selection set walked from the schema: a few fields per level, arguments, fragments on interfaces. */
interface Walk {
  schema: GraphQLSchema;
  /** Root fields to choose from: those with a resolver (the schema may declare work in progress). */
  rootFields: string[];
  pools: Pools;
  mistakes: boolean;
  /** Arguments passed as variables: name → [type, value]. */
  variables: Map<string, [GraphQLInputType, unknown]>;
}

function selection(type: GraphQLNamedType, depth: number, r: Random, ctx: Walk): string {
  if (!isCompositeType(type)) return '';
  if (isUnionType(type)) return `__typename ${type.getTypes().slice(0, 2).map((t) => `... on ${t.name} { ${selection(t, depth + 1, r, ctx)} }`).join(' ')}`;
  const fields = (Object.values(type.getFields()) as GraphQLField<unknown, unknown>[])
    .filter((field) => depth > 1 || ctx.rootFields.includes(field.name));
  const leaves = fields.filter((f) => !isCompositeType(getNamedType(f.type)) && f.args.every((a) => !isNonNullType(a.type)));
  const chosen = new Set<GraphQLField<unknown, unknown>>();
  const count = 1 + r.int(depth > 4 ? 2 : 4);
  for (let i = 0; i < count; i++) {
    const candidates = depth >= 6 ? leaves : fields;
    if (candidates.length) chosen.add(r.pick(candidates));
  }
  const parts: string[] = [];
  for (const field of chosen) {
    const args = field.args.filter((a) => isNonNullType(a.type) || r.chance(0.4)).map((a) => {
      const own = ctx.pools.cursors[field.name] ?? [];
      const cursors = own.length && r.chance(0.7) ? own : Object.values(ctx.pools.cursors).flat();
      if (a.name === 'after' && cursors.length && r.chance(0.7)) return `after: ${JSON.stringify(r.pick(cursors))}`;
      if (r.chance(0.3)) {
        const name = `v${ctx.variables.size}`;
        ctx.variables.set(name, [a.type, variableValue(a.type, r, ctx.pools, ctx.mistakes)]);
        return `${a.name}: $${name}`;
      }
      return `${a.name}: ${valueLiteral(a.type, r, ctx.pools, ctx.mistakes)}`;
    });
    const argText = args.length ? `(${args.join(', ')})` : '';
    const named = getNamedType(field.type);
    parts.push(isCompositeType(named) ? `${field.name}${argText} { ${selection(named, depth + 1, r, ctx)} }` : `${field.name}${argText}`);
  }
  if (isInterfaceType(type) && r.chance(0.5)) {
    const implementation = r.pick(ctx.schema.getPossibleTypes(type));
    parts.push(`... on ${implementation.name} { ${selection(implementation, depth + 1, r, ctx)} }`);
  }
  if (r.chance(0.1)) parts.push('__typename');
  return parts.join(' ');
}

/** A whole operation from the schema, with its variables. */
function schemaOperation(schema: GraphQLSchema, r: Random, pools: Pools, mistakes: boolean): { query: string; variables: Record<string, unknown> } {
  const mutation = schema.getMutationType();
  const root = mutation && r.chance(0.1) ? mutation : schema.getQueryType()!;
  const implemented = (root === mutation ? resolvers.Mutation : resolvers.Query) ?? {};
  const ctx: Walk = { schema, rootFields: Object.keys(implemented), pools, mistakes, variables: new Map() };
  const body = selection(root, 1, r, ctx);
  const declared = [...ctx.variables].map(([name, [type]]) => `$${name}: ${String(type)}`);
  const keyword = root === mutation ? 'mutation' : 'query';
  const query = `${keyword} Fuzz${declared.length ? `(${declared.join(', ')})` : ''} { ${body} }`;
  return { query, variables: Object.fromEntries([...ctx.variables].map(([name, [, value]]) => [name, value])) };
}

/** Breaks a query's text: deletes, duplicates, inserts punctuation, truncates. */
function mangle(text: string, r: Random): string {
  let out = text;
  for (let edits = 1 + r.int(3); edits > 0; edits--) {
    const at = r.int(out.length + 1);
    switch (r.int(4)) {
      case 0: out = out.slice(0, at) + out.slice(at + 1 + r.int(5)); break;
      case 1: out = out.slice(0, at) + out.slice(at, at + 10) + out.slice(at); break;
      case 2: out = out.slice(0, at) + r.pick(['{', '}', '(', ')', '[', ']', ':', '$', '@', '!', '...', '"', '\\', '#', '\u0000', '\ufeff', '😀']) + out.slice(at); break;
      default: out = out.slice(0, at);
    }
  }
  return out;
}

const repeat = (n: number, make: (i: number) => string, separator = ' ') => Array.from({ length: n }, (_, i) => make(i)).join(separator);

/** One request of the mix. */
function generate(schema: GraphQLSchema, r: Random, pools: Pools): FuzzRequest {
  const json = (body: unknown, kind: string, headers: Record<string, string> = {}): FuzzRequest =>
    ({ kind, method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers } });
  const roll = r.int(100);
  if (roll < 30) return json(schemaOperation(schema, r, pools, false), 'valid');
  if (roll < 45) return json(schemaOperation(schema, r, pools, true), 'wrong types');
  if (roll < 55) {
    const { query, variables } = schemaOperation(schema, r, pools, r.chance(0.5));
    return json({ query: mangle(query, r), variables }, 'broken syntax');
  }
  if (roll < 58) return { ...json(schemaOperation(schema, r, pools, false), 'public'), headers: { 'content-type': 'application/json' } };
  if (roll < 60) return json(schemaOperation(schema, r, pools, false), 'bad token', { authorization: r.pick(['Bearer kb_nope', 'Basic dXNlcjpwYXNz', 'Bearer', 'bearer a b', 'Bearer ' + 'x'.repeat(5000)]) });
  const n = 1 + r.int(r.chance(0.5) ? 30 : 700);
  switch (roll % 20) {
    case 0: return json({ query: `{ ${repeat(n, () => 'municipality(cbsCode: "GM0534") {')} name ${repeat(n, () => '}')} }` }, 'deep nesting');
    case 1: return json({ query: `{ components(first: 1) { edges { node { ${repeat(n, () => 'dependsOn {')} __typename ${repeat(n, () => '}')} } } } }` }, 'deep valid nesting');
    case 2: return json({ query: `{ ${repeat(n, (i) => `a${i}: municipality(cbsCode: "GM0534") { name }`)} }` }, 'alias flood');
    case 3: return json({ query: `{ ${repeat(n, (i) => `a${i}: __typename`)} }` }, 'typename alias flood');
    case 4: return json({ query: `{ __typename ${repeat(n, () => r.pick(['@include(if: true)', '@skip(if: false)', '@deprecated', '@nope']))} }` }, 'directive flood');
    case 5: return json({ query: `{ municipality(cbsCode: "GM0534") { ${repeat(n * 3, () => r.pick(['name', 'cbsCode', 'population', 'id']))} } }` }, 'token flood');
    case 6: {
      // Up to 150 KB: some under the body limit (100 KiB), some over.
      const base = r.pick(STRINGS) || 'x';
      return json({ query: `query($s: String) { organisations(search: $s) { totalCount } }`, variables: { s: base.repeat(Math.ceil(r.int(150_000) / base.length)) } }, 'huge variable');
    }
    case 7: return json({ query: `{ municipality(cbsCode: ${JSON.stringify('GM'.repeat(1 + r.int(60_000)))}) { name } }` }, 'huge literal');
    case 8: return json({ query: `{ ...A } fragment A on Query { ...B } fragment B on Query { ...A __typename }` }, 'fragment cycle');
    case 9: return json({ query: `query Q($first: Int) { components(first: $first) { edges { node { name statusHistory(first: $first) { edges { node { status } } } } } } }`, variables: { first: r.pick([...INTS, ...WRONG_VALUES]) } }, 'cost with variables');
    case 10: return json(r.pick<unknown>([[], [{ query: '{ __typename }' }], null, 42, 'query', { query: 42 }, { query: ['x'] }, { query: '{ __typename }', variables: [] },
      { query: '{ __typename }', variables: 'x' }, { query: '{ __typename }', operationName: 7 }, { query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } },
      { query: 'query A { __typename } query B { __typename }' }, { query: 'query A { __typename }', operationName: 'B' }, { query: 'subscription { x }' }, {}]), 'odd body');
    case 11: return { kind: 'raw body', method: 'POST', body: r.pick(['{', '{"query": "{ __typename }"', 'null', '"x"', '\u0000', '{"query": "\\u0000"}', 'x'.repeat(1000)]), headers: { 'content-type': 'application/json' } };
    case 12: return { kind: 'content type', method: 'POST', body: JSON.stringify({ query: '{ __typename }' }), headers: { 'content-type': r.pick(['text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/graphql']) } };
    case 13: return { kind: 'GET', method: 'GET', query: mangle('{ municipality(cbsCode: "GM0534") { name } }', r), headers: r.chance(0.5) ? { 'apollo-require-preflight': 'true' } : {} };
    case 14: return { kind: 'GET mutation', method: 'GET', query: 'mutation { revokeAccessToken(input: { tokenId: "x" }) { accessToken { id } } }', headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${token}` } };
    case 15: return json({ query: `query($v: ComponentFilter) { components(filter: $v) { totalCount } }`, variables: { v: nested(1 + r.int(3000)) } }, 'deep JSON variable');
    case 16: return json({ query: `{ ${repeat(Math.min(n, 60), () => 'node(id: ' + JSON.stringify(r.pick(pools.ids)) + ') { id }', ' ')} }` }, 'repeated field with arguments');
    case 17: return json({ query: `{ organisations(first: 200) { edges { node { components(first: 200) { edges { node { statusHistory(first: 200) { edges { node { status } } } } } } } } } }` }, 'cost bomb');
    case 18: return json({ query: `{ municipality(cbsCode: "GM0534") { services(asOf: ${JSON.stringify(r.pick(DATE_TIMES))}) { uptime(from: ${JSON.stringify(r.pick(DATE_TIMES))}, to: ${JSON.stringify(r.pick(DATE_TIMES))}) } } }` }, 'time windows');
    default: return json({ query: 'x'.repeat(n * 100) + '{' }, 'garbage');
  }
}

function nested(depth: number): unknown {
  let value: unknown = 'SERVICE';
  for (let i = 0; i < depth; i++) value = { kind: value };
  return value;
}

interface Verdict {
  request: FuzzRequest;
  status: number;
  text: string;
  problem: string;
}

async function send(request: FuzzRequest): Promise<Verdict | null> {
  const url = request.method === 'GET' ? `${server.url}?query=${encodeURIComponent(request.query ?? '')}` : server.url;
  const body = request.method === 'POST' ? (typeof request.body === 'string' ? request.body : JSON.stringify(request.body)) : undefined;
  const response = await fetch(url, { method: request.method, headers: request.headers, body });
  const text = await response.text();
  const problem = judge(response.status, text);
  return problem ? { request, status: response.status, text: text.slice(0, 1000), problem } : null;
}

function judge(status: number, text: string): string | null {
  if (status >= 500) return `HTTP ${status}`;
  let body: { errors?: { message?: unknown; extensions?: { code?: unknown } }[] };
  try {
    body = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  for (const error of body.errors ?? []) {
    const code = error.extensions?.code;
    if (typeof code !== 'string' || !CODES.has(code)) return `code ${String(code)}`;
  }
  if (body.errors && LEAKS.test(JSON.stringify(body.errors))) return `leak: ${JSON.stringify(body.errors).match(LEAKS)?.[0]}`;
  if (status !== 200 && !body.errors?.length) return `HTTP ${status} without an error`;
  return null;
}

/** Ids and cursors from the demo picture, so that generated queries reach real rows. */
async function collectPools(): Promise<Pools> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: `{
      organisations(first: 20) { edges { cursor node { id } } }
      components(first: 50) { edges { cursor node { id statusHistory(first: 2) { edges { cursor node { id } } } dependsOn { id } } } }
      incidents { edges { node { id updates { id } } } }
      advisories { edges { node { id } } }
    }` }),
  });
  const { data } = (await response.json()) as { data: any };
  const ids = [...JSON.stringify(data).matchAll(/"id":"([^"]+)"/g)].map((m) => m[1]);
  expect(ids.length).toBeGreaterThan(30);
  const cursorsOf = (edges: { cursor: string }[]) => edges.map((edge) => edge.cursor);
  return {
    ids,
    cursors: {
      organisations: cursorsOf(data.organisations.edges),
      components: cursorsOf(data.components.edges),
      statusHistory: data.components.edges.flatMap((edge: any) => cursorsOf(edge.node.statusHistory.edges)),
      // Well-formed keys with impossible moments, which used to reach PostgreSQL.
      forged: ['0000-01-01T00:00:00.000Z', '2020-02-30T00:00:00.000Z'].flatMap((at) => [[at, 1], [at, '00000000-0000-4000-8000-000000000000']])
        .map((key) => Buffer.from(JSON.stringify(key)).toString('base64url')),
    },
  };
}

test('thousands of generated requests: no 5xx, no unmasked or internal error, and the server still answers', async () => {
  const schema = createSchema();
  const pools = await collectPools();
  const r = prng(SEED);
  const requests = Array.from({ length: REQUESTS }, () => generate(schema, r, pools));

  const failures: Verdict[] = [];
  const kinds = new Map<string, number>();
  let sent = 0;
  const started = Date.now();
  const worker = async () => {
    while (sent < requests.length) {
      const request = requests[sent++];
      kinds.set(request.kind, (kinds.get(request.kind) ?? 0) + 1);
      const verdict = await send(request);
      if (verdict) failures.push(verdict);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  process.stdout.write(`fuzz: ${sent} queries in ${((Date.now() - started) / 1000).toFixed(1)} s (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')})\n`);

  // FUZZ_DUMP=<file> keeps every failure and server error, for when five are not enough.
  if (process.env.FUZZ_DUMP) fs.writeFileSync(process.env.FUZZ_DUMP, JSON.stringify({ failures, serverErrors }, null, 1));
  const shown = failures.slice(0, 5).map((f) => ({ ...f, request: JSON.stringify(f.request).slice(0, 1500) }));
  expect({ failures: failures.length, shown, serverErrors: serverErrors.slice(0, 5) }).toEqual({ failures: 0, shown: [], serverErrors: [] });

  const after = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ municipality(cbsCode: "GM0553") { name services(asOf: "2020-01-17T18:00:00+01:00") { service { name } status rootCause { name } } } }' }),
  });
  expect(after.status).toBe(200);
  const { data, errors } = (await after.json()) as { data: any; errors?: unknown };
  expect(errors).toBeUndefined();
  expect(data.municipality.name).toBe('Lisse');
  expect(data.municipality.services.some((s: { status: string }) => s.status === 'MAJOR_OUTAGE')).toBe(true);
}, 120_000);

/**
 * Found by this fuzz test: a cursor of another list (an organisation's [name, id] given to incidents,
 * whose key is [startedAt, id]) or one a client made reached PostgreSQL as a timestamp or uuid it is
 * not. decodeCursor now checks every part's format.
 */
test('a cursor of the right shape from another list, or made up, is BAD_USER_INPUT', async () => {
  const pools = await collectPools();
  const madeUp = Buffer.from(JSON.stringify(['not a time', 'not a uuid'])).toString('base64url');
  // Well-formed, but year 0000 (PostgreSQL has none: it was an internal error) or 30 February.
  const forged = (at: string) => Buffer.from(JSON.stringify([at, '00000000-0000-4000-8000-000000000000'])).toString('base64url');
  for (const [query, after] of [['query($after: String) { incidents(after: $after) { totalCount } }', pools.cursors.organisations[0]],
    ['query($after: String) { advisories(after: $after) { totalCount } }', madeUp],
    ['query($after: String) { incidents(after: $after) { totalCount } }', forged('0000-01-01T00:00:00.000Z')],
    ['query($after: String) { advisories(after: $after) { totalCount } }', forged('2020-02-30T00:00:00.000Z')]]) {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables: { after } }),
    });
    const { errors } = (await response.json()) as { errors?: { extensions?: { code?: string; field?: string } }[] };
    expect(errors?.map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT', field: 'after' }]);
  }
});
