import { getIntrospectionQuery, isNonNullType } from 'graphql';
import { loadConfig } from '../../src/config';
import { openDatabase } from '../../src/db/database';
import { createDataSource } from '../../src/db/data-source';
import { createLog } from '../../src/log';
import { issueFirstTokenIfNone } from '../../src/modules/access';
import { loadDemoScenario } from '../../src/seed/demo-scenario';
import { createSchema } from '../../src/schema';
import { RunningServer, startHttpServer } from '../../src/server';
import { openTestDatabase, TestDatabase } from '../helpers/database';

/**
 * The limits of src/platform/, over real HTTP as a client meets them: each refusal is a 4xx with
 * a GraphQL error whose code is on the closed list, and the legitimate queries pass.
 */
let db: TestDatabase;
let token: string;
const servers: RunningServer[] = [];
let api: RunningServer; // default limits, NODE_ENV=test

async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env });
  const server = await startHttpServer(config, db.dataSource, createLog('silent'));
  servers.push(server);
  return server;
}

beforeAll(async () => {
  db = await openTestDatabase();
  await db.dataSource.transaction((manager) => loadDemoScenario(manager));
  token = (await issueFirstTokenIfNone(db.dataSource))!.secret;
  api = await startServer();
});
afterAll(async () => {
  for (const server of servers) await server.stop();
  await db.close();
});

interface Answer {
  status: number;
  headers: Headers;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

/** POSTs a body (an object is sent as JSON, a string as it is) as the coordinator unless told otherwise. */
async function post(server: RunningServer, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: Answer['body'];
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`HTTP ${response.status}, not JSON: ${text.slice(0, 500)}`);
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

const query = (server: RunningServer, text: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  post(server, { query: text, variables }, headers);

/** A refusal: the status, one error, its code; returns the message for further checks. */
function expectRefused(answer: Answer, status: number, code: string): string {
  expect({ status: answer.status, codes: answer.body.errors?.map((e) => e.extensions?.code) }).toEqual({ status, codes: [code] });
  expect(answer.body.data ?? undefined).toBeUndefined();
  return answer.body.errors![0].message;
}

function expectAnswered(answer: Answer): void {
  expect({ status: answer.status, errors: answer.body.errors }).toEqual({ status: 200, errors: undefined });
}

describe('legitimate queries pass every limit', () => {
  test('the municipal dashboard from the README', async () => {
    const answer = await query(api, `{
      municipality(cbsCode: "GM0553") {
        name
        services(asOf: "2020-01-17T18:00:00+01:00") {
          service { name audience }
          status cause since
          rootCause { name operator { name } }
          rootCauseReport { cause source reporter { name } }
          uptime(from: "2020-01-13T00:00:00+01:00", to: "2020-01-20T00:00:00+01:00")
        }
      }
    }`);
    expectAnswered(answer);
    expect(answer.body.data.municipality.services.length).toBeGreaterThan(0);
  });

  test('the heaviest nested query of the N+1 tests, with a full page', async () => {
    const answer = await query(api, `query Components($first: Int!) {
      components(filter: { kind: SERVICE }, first: $first) { totalCount edges { node {
        name operator { name }
        effectiveStatus { status since rootCause { name } }
        reportedStatus { status reporter { name } }
        dependsOn { kind dependsOn { name dependsOn { dependsOn { name } } } }
        dependents { component { name } }
        incidents { title }
        statusHistory(first: 3) { totalCount edges { node { status } } }
      } } }
    }`, { first: 50 });
    expectAnswered(answer);
  });

  test('the introspection query of a client or code generator (outside production)', async () => {
    const answer = await query(api, getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true }));
    expectAnswered(answer);
    expect(answer.body.data.__schema.types.length).toBeGreaterThan(20);
  });
});

/** `advisories → exposure → advisory → exposure → …`: a valid query exactly `depth` fields deep that stays cheap. */
function queryOfDepth(depth: number): string {
  // advisories(1) edges(2) node(3), then exposure/advisory alternating, then a leaf.
  const chain: string[] = [];
  for (let level = 4; level < depth; level++) chain.push(level % 2 === 0 ? 'exposure' : 'advisory');
  const leaf = chain.length % 2 === 1 ? 'totalCount' : 'reference';
  return `{ advisories(first: 1) { edges { node { ${chain.map((f) => `${f} {`).join(' ')} ${leaf} ${chain.map(() => '}').join(' ')} } } } }`;
}

describe('query shape', () => {
  test('depth: 12 levels pass, 13 are refused before anything runs', async () => {
    expectAnswered(await query(api, queryOfDepth(12)));
    const message = expectRefused(await query(api, queryOfDepth(13)), 400, 'BAD_USER_INPUT');
    expect(message).toBe('Query depth limit of 12 exceeded, found 13.');
  });

  test('fragments do not count as levels, but their fields do', async () => {
    const viaFragments = `{ advisories(first: 1) { edges { node { ...A } } } }
      fragment A on Advisory { exposure { ...E } }
      fragment E on Exposure { advisory { exposure { advisory { exposure { advisory { exposure { advisory { reference } } } } } } } }`;
    // advisories, edges, node, then nine levels of the fragments' fields: 12.
    expectAnswered(await query(api, viaFragments));
    const deeper = viaFragments.replace('advisory { reference }', 'advisory { exposure { totalCount } }');
    expect(expectRefused(await query(api, deeper), 400, 'BAD_USER_INPUT')).toMatch(/depth limit of 12 exceeded, found 13/);
  });

  test('aliases: 20 pass, 21 are refused', async () => {
    const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `m${i}: municipality(cbsCode: "GM0534") { name }`).join(' ')} }`;
    expectAnswered(await query(api, aliased(20)));
    expect(expectRefused(await query(api, aliased(21)), 400, 'BAD_USER_INPUT')).toBe('Aliases limit of 20 exceeded, found 21.');
  });

  test('directives: 20 pass, 21 are refused', async () => {
    const directed = (n: number) => `{ municipality(cbsCode: "GM0534") { ${Array.from({ length: n }, () => 'name @include(if: true)').join(' ')} } }`;
    expectAnswered(await query(api, directed(20)));
    expect(expectRefused(await query(api, directed(21)), 400, 'BAD_USER_INPUT')).toBe('Directives limit of 20 exceeded, found 21.');
  });

  test('tokens: a document over the limit is refused while parsing (2000 by default)', async () => {
    // `{ municipality ( cbsCode : "…" ) { name × n } }` is n + 10 tokens.
    const withNames = (n: number) => `{ municipality(cbsCode: "GM0534") { ${Array.from({ length: n }, () => 'name').join(' ')} } }`;
    const message = expectRefused(await query(api, withNames(1991)), 400, 'BAD_USER_INPUT');
    expect(message).toBe('Syntax Error: Document contains more that 2000 tokens. Parsing aborted.'); // graphql-js's wording
    // Near 2000 tokens of repeated fields graphql-js's own validation gives up first, so the exact
    // boundary is shown on a server with a lower limit.
    const strict = await startServer({ QUERY_MAX_TOKENS: '100' });
    expectAnswered(await query(strict, withNames(90)));
    expect(expectRefused(await query(strict, withNames(91)), 400, 'BAD_USER_INPUT')).toMatch(/more that 100 tokens/);
  });
});

test('a string with a NUL character, in a variable or in the query, is refused before it reaches PostgreSQL', async () => {
  const search = 'query($s: String) { organisations(search: $s) { totalCount } }';
  expectAnswered(await query(api, search, { s: 'Lisse' }));
  const refused = 'Strings may not contain the NUL character (U+0000).';
  expect(expectRefused(await query(api, search, { s: 'Lis\u0000se' }), 400, 'BAD_USER_INPUT')).toBe(refused);
  expect(expectRefused(await query(api, '{ organisations(search: "Lis\\u0000se") { totalCount } }'), 400, 'BAD_USER_INPUT')).toBe(refused);
});

test('operations the API does not have, and persisted-query hashes, are the client’s mistakes, not internal errors', async () => {
  // A valid subscription of whatever the schema has: none is served over HTTP.
  const subscriptionType = createSchema().getSubscriptionType();
  if (subscriptionType) {
    const field = Object.values(subscriptionType.getFields()).find((f) => f.args.every((a) => !isNonNullType(a.type)))!;
    const subscription = await query(api, `subscription { ${field.name} { __typename } }`);
    expect(expectRefused(subscription, 400, 'BAD_USER_INPUT')).toBe('Subscriptions are served over WebSocket (the graphql-ws protocol), not over HTTP.');
  } else {
    expect(expectRefused(await query(api, 'subscription { __typename }'), 400, 'BAD_USER_INPUT')).toBe('This API has no subscription operations.');
  }
  const hashed = await post(api, { query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } });
  // 200 is Apollo's persisted-query protocol: a client that sent only a hash reads the error and
  // sends the whole query again. The code is still one of the closed list.
  expect(expectRefused(hashed, 200, 'BAD_USER_INPUT')).toBe('PersistedQueryNotSupported');
});

describe('cost', () => {
  const NESTED_PAGES = `query($first: Int!) { organisations(first: $first) { edges { node { name
    components(first: $first) { edges { node { name effectiveStatus { status rootCause { name } } } } } } } } }`;

  test('pages inside pages are refused when first × first × … is too much, judged with the variables', async () => {
    // The same document, so Apollo's cache of validated documents cannot hide the second request.
    expectAnswered(await query(api, NESTED_PAGES, { first: 5 }));
    const message = expectRefused(await query(api, NESTED_PAGES, { first: 200 }), 400, 'BAD_USER_INPUT');
    expect(message).toMatch(/^Query cost limit of 25000 exceeded, estimated \d+\. Ask for smaller pages/);
  });

  test('a limit of the server’s own: QUERY_MAX_COST', async () => {
    const strict = await startServer({ QUERY_MAX_COST: '100' });
    expect(expectRefused(await query(strict, NESTED_PAGES, { first: 5 }), 400, 'BAD_USER_INPUT')).toMatch(/cost limit of 100 exceeded/);
  });

  test('a variable of the wrong type is still BAD_USER_INPUT, not a failure of the cost estimate', async () => {
    const message = expectRefused(await query(api, NESTED_PAGES, { first: 'many' }), 400, 'BAD_USER_INPUT');
    expect(message).toMatch(/\$first/);
  });
});

describe('HTTP', () => {
  test('a body over 100 KiB is refused with 413, as a GraphQL error in JSON', async () => {
    const search = 'x'.repeat(110 * 1024);
    const answer = await query(api, `query($s: String) { organisations(search: $s) { totalCount } }`, { s: search });
    expect(expectRefused(answer, 413, 'BAD_USER_INPUT')).toBe('The request body is larger than the limit of 102400 bytes.');
    expect(answer.headers.get('x-request-id')).toMatch(/\S/);
    // Just under the limit it is read.
    expectAnswered(await query(api, '{ __typename }', { unused: 'x'.repeat(90 * 1024) }));
  });

  test('a body that is not JSON is a 400 that does not quote it back', async () => {
    const answer = await post(api, '{"query": "{ __typename }" secret-looking-text');
    expect(expectRefused(answer, 400, 'BAD_USER_INPUT')).toBe('The request body is not valid JSON.');
  });

  test('batched operations (a JSON array) are refused', async () => {
    const answer = await post(api, [{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(expectRefused(answer, 400, 'BAD_USER_INPUT')).toMatch(/batching/i);
  });

  test('CSRF prevention: a GET or a simple POST without the preflight header is refused', async () => {
    const url = `${api.url}?query=${encodeURIComponent('{ __typename }')}`;
    const plainGet = await fetch(url);
    expect(plainGet.status).toBe(400);
    const refused = (await plainGet.json()) as Answer['body'];
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(refused.errors?.[0].message).toMatch(/Cross-Site Request Forgery/);

    const textPost = await fetch(api.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(textPost.status).toBe(400);
    expect(((await textPost.json()) as Answer['body']).errors?.[0].message).toMatch(/Cross-Site Request Forgery/);

    const preflighted = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    expect(preflighted.status).toBe(200);
    expect(await preflighted.json()).toEqual({ data: { __typename: 'Query' } });
  });
});

// The rate limits have a file of their own: test/integration/rate-limit.test.ts; every limit over
// HTTP and WebSocket side by side: test/integration/admission.test.ts.

describe('production', () => {
  let production: RunningServer;
  beforeAll(async () => {
    production = await startServer({ NODE_ENV: 'production' });
  });

  test('introspection is refused in production and answered otherwise', async () => {
    const introspection = '{ __schema { queryType { name } } }';
    expectAnswered(await query(api, introspection));
    expect(expectRefused(await query(production, introspection), 400, 'BAD_USER_INPUT')).toMatch(/introspection/i);
  });

  test('no "Did you mean" in production, for a field or for a variable’s enum value', async () => {
    const typo = '{ municipality(cbsCode: "GM0534") { nam } }';
    expect(expectRefused(await query(api, typo), 400, 'BAD_USER_INPUT')).toMatch(/Did you mean "name"\?/);
    expect(expectRefused(await query(production, typo), 400, 'BAD_USER_INPUT')).toBe('Cannot query field "nam" on type "Municipality".');

    const enumVariable = 'query($kind: OrganisationKind) { organisations(kind: $kind) { totalCount } }';
    expect(expectRefused(await query(api, enumVariable, { kind: 'MUNICIPALITI' }), 400, 'BAD_USER_INPUT')).toMatch(/Did you mean/);
    const hidden = expectRefused(await query(production, enumVariable, { kind: 'MUNICIPALITI' }), 400, 'BAD_USER_INPUT');
    expect(hidden).toMatch(/\$kind/);
    expect(hidden).not.toMatch(/Did you mean|MUNICIPALITY/);
  });

  test('the limits hold in production too, and an oversized body shows no stack', async () => {
    expectRefused(await query(production, queryOfDepth(13)), 400, 'BAD_USER_INPUT');
    const answer = await query(production, '{ __typename }', { padding: 'x'.repeat(200 * 1024) });
    expectRefused(answer, 413, 'BAD_USER_INPUT');
    expect(JSON.stringify(answer.body)).not.toMatch(/at \w+ \(|node_modules|stack/);
  });
});

describe('statement timeout', () => {
  test('openDatabase gives every connection DATABASE_STATEMENT_TIMEOUT_MS; on a server a slower statement is cancelled', async () => {
    const config = loadConfig({ DATABASE_URL: db.url, DATABASE_POOL_SIZE: '1', DATABASE_STATEMENT_TIMEOUT_MS: '200' });
    const database = await openDatabase(config, createLog('silent'));
    try {
      const [{ statement_timeout: setting }] = await database.dataSource.query('SHOW statement_timeout');
      if (process.env.DATABASE_URL) {
        expect(setting).toBe('200ms');
        const started = Date.now();
        await expect(database.dataSource.query('SELECT pg_sleep(5)')).rejects.toMatchObject({ driverError: { code: '57014' } });
        expect(Date.now() - started).toBeLessThan(2000);
      } else {
        // The embedded engine (PGlite over pglite-socket) ignores startup parameters and has no
        // timer to cancel with: the statement runs to the end. README, "Limits", says so; if this
        // starts failing, PGlite learned statement_timeout and the README should say that instead.
        expect(setting).toBe('0');
        const started = Date.now();
        await database.dataSource.query('SELECT pg_sleep(0.3)');
        expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      }
    } finally {
      await database.dataSource.destroy();
    }
  });

  test('the default is 10 s, and 0 turns it off', async () => {
    expect(loadConfig({}).limits.statementTimeoutMs).toBe(10_000);
    if (!process.env.DATABASE_URL) return; // the embedded engine reports 0 whatever is asked (above)
    const off = createDataSource({ url: db.url, poolSize: 1, statementTimeoutMs: loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '0' }).limits.statementTimeoutMs });
    await off.initialize();
    try {
      const [{ statement_timeout: setting }] = await off.query('SHOW statement_timeout');
      expect(setting).toBe('0');
    } finally {
      await off.destroy();
    }
  });
});
