import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { loadConfig } from '../../src/config';
import { createLog } from '../../src/log';
import { issueToken, Role } from '../../src/modules/access';
import { loadDemoScenario } from '../../src/seed/demo-scenario';
import { RunningServer, startHttpServer } from '../../src/server';
import { openTestDatabase, TestDatabase } from '../helpers/database';

/**
 * ketenbeeld as an Apollo Federation 2 subgraph, composed with a graph it knows nothing of: Hillegom's
 * ticket system (residents' reports), which extends Municipality (by CBS code) and Component (an
 * entity interface here, an @interfaceObject there). Both served on 127.0.0.1, composed with
 * @apollo/composition from ketenbeeld's own `_service` SDL, queried through @apollo/gateway with the
 * caller's token passed on. ketenbeeld's access layer decides what the partner's answers may join.
 */
const FRIDAY = '2020-01-17T18:00:00+01:00';
let db: TestDatabase;
let ketenbeeld: RunningServer;
let tickets: ApolloServer;
let gateway: ApolloServer;
let gatewayUrl: string;
const tokens: Record<'hillegom' | 'tilburg' | 'coordinator', string> = {} as never;
const componentIds: Record<'counter' | 'tilburgGateway', string> = {} as never;

const TICKET_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@interfaceObject"])

  "A municipality, as the ticket system knows it: by its CBS code."
  type Municipality @key(fields: "cbsCode") {
    cbsCode: String!
    openTickets: [Ticket!]!
  }

  "Whatever ketenbeeld calls a component; here only its id and the tickets about it."
  type Component @key(fields: "id") @interfaceObject {
    id: ID!
    tickets: [Ticket!]!
  }

  type Ticket {
    number: String!
    subject: String!
    municipality: Municipality!
    component: Component
  }

  type Query {
    ticket(number: String!): Ticket
  }
`;

interface Ticket { number: string; subject: string; cbsCode: string; componentId: string | null }
const TICKETS: Ticket[] = [];

function ticketResolvers() {
  return {
    Query: { ticket: (_: unknown, { number }: { number: string }) => TICKETS.find((t) => t.number === number) ?? null },
    Ticket: {
      municipality: (t: Ticket) => ({ cbsCode: t.cbsCode }),
      component: (t: Ticket) => (t.componentId ? { id: t.componentId } : null),
    },
    Municipality: {
      __resolveReference: (reference: { cbsCode: string }) => reference,
      openTickets: (m: { cbsCode: string }) => TICKETS.filter((t) => t.cbsCode === m.cbsCode),
    },
    Component: {
      __resolveReference: (reference: { id: string }) => reference,
      tickets: (c: { id: string }) => TICKETS.filter((t) => t.componentId === c.id),
    },
  };
}

beforeAll(async () => {
  db = await openTestDatabase();
  await db.dataSource.transaction((manager) => loadDemoScenario(manager));
  const one = async (sql: string, parameters: unknown[]) => ((await db.dataSource.query(sql, parameters)) as { id: string }[])[0].id;
  const issue = async (name: string, role: Role) => {
    // Looked up before the transaction: the embedded engine's pool has one connection.
    const organisationId = await one(`SELECT id FROM organisation WHERE name LIKE $1`, [`${name}%`]);
    return (await db.dataSource.transaction((tx) => issueToken(tx, { organisationId, role, expiresInDays: 1, label: 'federation test', issuedByTokenId: null }))).secret;
  };
  tokens.hillegom = await issue('Hillegom', 'MUNICIPALITY');
  tokens.tilburg = await issue('Tilburg', 'OPERATOR');
  tokens.coordinator = await issue('NCSC', 'COORDINATOR');
  const globalId = (uuid: string) => Buffer.from(`Component:${uuid}`).toString('base64url');
  componentIds.counter = globalId(await one(`SELECT id FROM component WHERE name = $1`, ['Public counter (burgerzaken)']));
  componentIds.tilburgGateway = globalId(await one(`SELECT id FROM component WHERE name = $1`, ['Tilburg Citrix ADC']));
  TICKETS.push(
    { number: 'HIL-1', subject: 'Cannot book an appointment at the public counter', cbsCode: 'GM0534', componentId: componentIds.counter },
    { number: 'HIL-2', subject: 'Streetlight out on the Hoofdstraat', cbsCode: 'GM0534', componentId: null },
    // A ticket about another tenant's component: the ticket system may say so, ketenbeeld decides who sees it.
    { number: 'HIL-3', subject: 'Colleague in Tilburg cannot log in', cbsCode: 'GM0534', componentId: componentIds.tilburgGateway },
  );

  ketenbeeld = await startHttpServer(loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_BURST: '10000' }), db.dataSource, createLog('silent'));
  tickets = new ApolloServer({ schema: buildSubgraphSchema({ typeDefs: parse(TICKET_SDL), resolvers: ticketResolvers() }), plugins: [ApolloServerPluginInlineTraceDisabled()] });
  const ticketsUrl = (await startStandaloneServer(tickets, { listen: { host: '127.0.0.1', port: 0 } })).url;

  // Composed as a build step would: from each subgraph's `_service { sdl }`.
  const sdlOf = async (url: string, headers: Record<string, string> = {}) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ _service { sdl } }' }) });
    return ((await response.json()) as { data: { _service: { sdl: string } } }).data._service.sdl;
  };
  const composed = composeServices([
    { name: 'ketenbeeld', url: ketenbeeld.url, typeDefs: parse(await sdlOf(ketenbeeld.url)) },
    { name: 'tickets', url: ticketsUrl, typeDefs: parse(await sdlOf(ticketsUrl)) },
  ]);
  if (composed.errors) throw new Error(`composition failed: ${composed.errors.map((e) => e.message).join('; ')}`);

  gateway = new ApolloServer({
    gateway: new ApolloGateway({
      supergraphSdl: composed.supergraphSdl,
      buildService: ({ url }) => new RemoteGraphQLDataSource<{ authorization?: string }>({
        url,
        willSendRequest({ request, context }) {
          if (context.authorization) request.http?.headers.set('authorization', context.authorization);
        },
      }),
    }),
  });
  gatewayUrl = (await startStandaloneServer(gateway, {
    listen: { host: '127.0.0.1', port: 0 },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  })).url;
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await tickets?.stop();
  await ketenbeeld?.stop();
  await db?.close();
});

interface Answer { data?: any; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[] }

async function ask(url: string, query: string, token?: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as Answer;
}

test('ketenbeeld answers _service with its SDL: the @keys of the entities partners extend', async () => {
  const { data } = await ask(ketenbeeld.url, '{ _service { sdl } }');
  const sdl: string = data._service.sdl;
  for (const entity of ['interface Organisation implements Node', 'type Municipality implements Organisation & Node', 'interface Component implements Node',
    'type Gateway implements Component & Node', 'type Incident implements Node', 'type Advisory implements Node']) {
    expect(sdl).toMatch(new RegExp(`${entity.replace(/[&]/g, '\\$&')}\\s+@key\\(fields: "id"\\)`));
  }
  expect(sdl).toContain('@key(fields: "cbsCode")');
  expect(sdl).toContain('extend schema\n  @link(url: "https://specs.apollo.dev/federation/v2.3"');
});

test('one query across both graphs: a municipality’s service availability from ketenbeeld, its open tickets from the ticket system', async () => {
  const answer = await ask(gatewayUrl, `{ municipality(cbsCode: "GM0534") {
    name services(asOf: "${FRIDAY}") { service { name } status } openTickets { number subject } } }`);
  expect(answer.errors).toBeUndefined();
  expect(answer.data.municipality.name).toBe('Hillegom');
  expect(answer.data.municipality.services).toContainEqual({ service: { name: 'Public counter (burgerzaken)' }, status: 'MAJOR_OUTAGE' });
  expect(answer.data.municipality.openTickets.map((t: Ticket) => t.number)).toEqual(['HIL-1', 'HIL-2', 'HIL-3']);
});

test('from a partner’s ticket to ketenbeeld’s component and back: the component through the access layer, its tickets from the partner', async () => {
  const query = `query($number: String!) { ticket(number: $number) { subject municipality { name }
    component { id ... on Service { name effectiveStatus(asOf: "${FRIDAY}") { status rootCause { name } } } tickets { number } } } }`;
  const hillegom = await ask(gatewayUrl, query, tokens.hillegom, { number: 'HIL-1' });
  expect(hillegom.errors).toBeUndefined();
  expect(hillegom.data.ticket).toEqual({
    subject: 'Cannot book an appointment at the public counter', municipality: { name: 'Hillegom' },
    component: {
      id: componentIds.counter, name: 'Public counter (burgerzaken)', tickets: [{ number: 'HIL-1' }],
      effectiveStatus: { status: 'MAJOR_OUTAGE', rootCause: [{ name: 'Public counter (burgerzaken)' }, { name: 'Burgerzaken application (Centric)' }, { name: 'Centric Citrix server' }] },
    },
  });
});

test('an entity the caller may not read is refused exactly as node(id:) refuses it; the partner’s part of the answer stays', async () => {
  const viaGateway = (token: string | undefined) => ask(gatewayUrl, `{ ticket(number: "HIL-3") { subject component { ... on Gateway { name version } } } }`, token);
  const viaNode = (token: string | undefined) => ask(ketenbeeld.url, `query($id: ID!) { node(id: $id) { ... on Gateway { name version } } }`, token, { id: componentIds.tilburgGateway });
  const codes = (answer: Answer) => answer.errors?.map((e) => e.extensions?.code);

  for (const [who, token, code] of [['Hillegom', tokens.hillegom, 'FORBIDDEN'], ['the public', undefined, 'UNAUTHENTICATED']] as const) {
    const federated = await viaGateway(token);
    const direct = await viaNode(token);
    expect({ who, codes: codes(federated) }).toEqual({ who, codes: [code] });
    expect(codes(direct)).toEqual([code]);
    // A refusal at ketenbeeld's gate is an HTTP 401, which the gateway reports in its own words ("401: Unauthorized").
    if (code === 'FORBIDDEN') expect(federated.errors?.[0].message).toBe(direct.errors?.[0].message);
    // The ticket system knows the component's id; ketenbeeld adds none of its fields.
    expect(federated.data.ticket.subject).toBe('Colleague in Tilburg cannot log in');
    expect(federated.data.ticket.component ?? {}).toEqual({});
    expect(JSON.stringify(federated)).not.toContain('Tilburg Citrix ADC');
  }
  // Tilburg operates that gateway, and a coordinator reads everything.
  for (const token of [tokens.tilburg, tokens.coordinator]) {
    const allowed = await viaGateway(token);
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data.ticket.component.name).toBe('Tilburg Citrix ADC');
  }
});

test('ketenbeeld’s _entities directly: the same loaders as node(id:), null for what names nothing or is of another kind', async () => {
  const entities = `query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Organisation { name } ... on Component { name } } }`;
  const vendorId = Buffer.from(`Organisation:${(await db.dataSource.query(`SELECT id FROM organisation WHERE name LIKE 'Centric%'`))[0].id}`).toString('base64url');
  const answer = await ask(ketenbeeld.url, entities, tokens.coordinator, { r: [
    { __typename: 'Municipality', cbsCode: 'GM0553' },
    { __typename: 'Organisation', id: vendorId },
    { __typename: 'Municipality', id: vendorId },
    { __typename: 'Component', id: componentIds.counter },
    { __typename: 'Gateway', id: componentIds.counter },
    { __typename: 'Municipality', cbsCode: 'GM9999' },
  ] });
  expect(answer.errors).toBeUndefined();
  expect(answer.data._entities).toEqual([
    { __typename: 'Municipality', name: 'Lisse' },
    { __typename: 'Vendor', name: expect.stringMatching(/^Centric/) },
    null,
    { __typename: 'Service', name: 'Public counter (burgerzaken)' },
    null,
    null,
  ]);
  const malformed = await ask(ketenbeeld.url, entities, tokens.coordinator, { r: [{ __typename: 'Component', id: 'not-an-id' }, { __typename: 'Municipality', cbsCode: 'Hillegom' }] });
  expect(malformed.errors?.map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT', field: 'id' }, { code: 'BAD_USER_INPUT', field: 'cbsCode' }]);
});

test('in production _service is not served, like introspection; npm run subgraph-sdl prints it instead', async () => {
  const production = await startHttpServer(loadConfig({ NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1' }), db.dataSource, createLog('silent'));
  try {
    const answer = await ask(production.url, '{ _service { sdl } }');
    expect(answer.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(answer.errors?.[0].message).toMatch(/subgraph-sdl/);
    // _entities still answers there, through the access layer.
    const entities = await ask(production.url, 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Municipality { name } } }', undefined, { r: [{ __typename: 'Municipality', cbsCode: 'GM0534' }] });
    expect(entities).toEqual({ data: { _entities: [{ name: 'Hillegom' }] } });
  } finally {
    await production.stop();
  }
});
