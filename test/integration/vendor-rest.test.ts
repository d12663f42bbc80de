import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getNamedType, GraphQLInputObjectType } from 'graphql';
import { loadConfig } from '../../src/config';
import { createLog } from '../../src/log';
import { issueToken } from '../../src/modules/access';
import { OPENAPI_DOCUMENT } from '../../src/rest/openapi';
import { createSchema } from '../../src/schema';
import { RunningServer, startHttpServer } from '../../src/server';
import { openTestDatabase, TestDatabase } from '../helpers/database';
import { factories } from '../helpers/factories';

/**
 * The vendor's way in (issue 17): externalRef, reportStatuses, and the REST route that runs the
 * same GraphQL operations through the same HTTP pipeline, with its OpenAPI 3.1 document.
 */
let db: TestDatabase;
const servers: RunningServer[] = [];
let make: ReturnType<typeof factories>;
let vendorId: string;
let otherId: string;

async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const server = await startHttpServer(loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', ...env }), db.dataSource, createLog('silent'));
  servers.push(server);
  return server;
}
const tokenOf = async (organisationId: string) =>
  (await issueToken(db.dataSource.manager, { organisationId, role: 'VENDOR', expiresInDays: 1, label: 'vendor rest test', issuedByTokenId: null })).secret;
const origin = (server: RunningServer) => server.url.replace(/\/graphql$/, '');

async function graphql(server: RunningServer, token: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  return { status: response.status, body: await response.json() as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] } };
}
async function rest(server: RunningServer, token: string | null, route: string, body: unknown) {
  const response = await fetch(`${origin(server)}${route}`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() as any };
}

const REGISTER = `mutation($input: RegisterComponentInput!) { registerComponent(input: $input) { component { id externalRef } } }`;
const REPORT = `mutation($input: ReportStatusInput!) { reportStatus(input: $input) { replayed current statusReport { id status component { id } } effectiveStatus { status } } }`;
const BATCH = `mutation($input: ReportStatusesInput!) { reportStatuses(input: $input) { accepted replayed refused
  results { index outcome idempotencyKey statusReport { id } effectiveStatus { status } error { code field message } } } }`;

beforeAll(async () => {
  db = await openTestDatabase();
  make = factories(db.dataSource.manager);
  vendorId = (await make.organisation('VENDOR')).id;
  otherId = (await make.organisation('VENDOR')).id;
}, 120_000);
afterAll(async () => {
  for (const server of servers) await server.stop();
  await db?.close();
});

async function gateways(server: RunningServer, token: string, prefix: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { body } = await graphql(server, token, REGISTER, { input: { kind: 'GATEWAY', name: `${prefix} ${i}`, productVendor: 'Citrix', product: 'ADC', internetFacing: true, externalRef: `${prefix}-${i}` } });
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    ids.push(body.data.registerComponent.component.id);
  }
  return ids;
}

test('externalRef: unique per operator, reported by, never resolved to another operator\'s component', async () => {
  const server = await startServer();
  const vendor = await tokenOf(vendorId);
  const other = await tokenOf(otherId);
  const [mine] = await gateways(server, vendor, 'gw-ext', 1);
  // The same name at another operator is another component.
  const [theirs] = await gateways(server, other, 'gw-ext', 1);
  expect(theirs).not.toBe(mine);
  const duplicate = await graphql(server, vendor, REGISTER, { input: { kind: 'GATEWAY', name: 'dup', productVendor: 'Citrix', product: 'ADC', internetFacing: true, externalRef: 'gw-ext-0' } });
  expect(duplicate.body.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', field: 'externalRef' });

  const byRef = await graphql(server, vendor, REPORT, { input: { externalRef: 'gw-ext-0', status: 'MAJOR_OUTAGE', cause: 'PRECAUTIONARY_SHUTDOWN' } });
  expect(byRef.body.data.reportStatus.statusReport.component.id).toBe(mine);
  const unknown = await graphql(server, vendor, REPORT, { input: { externalRef: 'gw-nobody', status: 'OPERATIONAL' } });
  expect(unknown.body.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', field: 'externalRef' });
  const both = await graphql(server, vendor, REPORT, { input: { componentId: mine, externalRef: 'gw-ext-0', status: 'OPERATIONAL' } });
  expect(both.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  const neither = await graphql(server, vendor, REPORT, { input: { status: 'OPERATIONAL' } });
  expect(neither.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  const lookup = await graphql(server, vendor, `query($r: String!) { componentByExternalRef(externalRef: $r) { id externalRef } }`, { r: 'gw-ext-0' });
  expect(lookup.body.data.componentByExternalRef).toEqual({ id: mine, externalRef: 'gw-ext-0' });
  const foreign = await graphql(server, other, `query($r: String!, $o: ID) { componentByExternalRef(externalRef: $r, operatorId: $o) { id } }`,
    { r: 'gw-ext-0', o: Buffer.from(`Organisation:${vendorId}`).toString('base64url') });
  expect(foreign.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
});

test('reportStatuses: each report its own result; one refused loses none; a retry replays; more than 500 is refused before anything', async () => {
  const server = await startServer();
  const vendor = await tokenOf(vendorId);
  const ids = await gateways(server, vendor, 'gw-batch', 3);
  const count = async () => (await db.dataSource.query(`SELECT count(*)::int AS n FROM status_report`))[0].n as number;
  const before = await count();
  const reports = [
    { externalRef: 'gw-batch-0', status: 'MAJOR_OUTAGE', cause: 'PRECAUTIONARY_SHUTDOWN', idempotencyKey: 'b-0' },
    { componentId: ids[1], status: 'MAJOR_OUTAGE', idempotencyKey: 'b-1' },
    { externalRef: 'gw-batch-2', status: 'MAJOR_OUTAGE', cause: 'PRECAUTIONARY_SHUTDOWN', idempotencyKey: 'b-2' },
  ];
  const first = await graphql(server, vendor, BATCH, { input: { reports } });
  expect(first.body.data.reportStatuses).toMatchObject({ accepted: 2, replayed: 0, refused: 1 });
  expect(first.body.data.reportStatuses.results.map((r: { outcome: string }) => r.outcome)).toEqual(['ACCEPTED', 'REFUSED', 'ACCEPTED']);
  expect(first.body.data.reportStatuses.results[1].error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reports.1.cause' });
  expect(await count()).toBe(before + 2);
  const retry = await graphql(server, vendor, BATCH, { input: { reports } });
  expect(retry.body.data.reportStatuses).toMatchObject({ accepted: 0, replayed: 2, refused: 1 });
  expect(retry.body.data.reportStatuses.results[0].statusReport.id).toBe(first.body.data.reportStatuses.results[0].statusReport.id);
  expect(await count()).toBe(before + 2);

  const tooMany = Array.from({ length: 501 }, (_, i) => ({ externalRef: 'gw-batch-0', status: 'OPERATIONAL', idempotencyKey: `many-${i}` }));
  const refused = await graphql(server, vendor, BATCH, { input: { reports: tooMany } });
  expect(refused.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'reports' });
  expect(await count()).toBe(before + 2);
});

test('REST gives what GraphQL gives: the same results, the same idempotency, the same errors and the same limits', async () => {
  const server = await startServer();
  const vendor = await tokenOf(vendorId);
  await gateways(server, vendor, 'gw-rest', 2);
  const input = { externalRef: 'gw-rest-0', status: 'PARTIAL_OUTAGE', cause: 'FAILURE', idempotencyKey: 'rest-1', observedAt: new Date(Date.now() - 1000).toISOString() };
  const overRest = await rest(server, vendor, '/api/v1/status-reports', input);
  expect(overRest.status).toBe(200);
  expect(overRest.body).toMatchObject({ replayed: false, current: true, statusReport: { status: 'PARTIAL_OUTAGE' }, effectiveStatus: { status: 'PARTIAL_OUTAGE' } });
  // One idempotency rule: the same key through GraphQL is a replay of the REST report.
  const overGraphQL = await graphql(server, vendor, REPORT, { input });
  expect(overGraphQL.body.data.reportStatus).toMatchObject({ replayed: true, statusReport: { id: overRest.body.statusReport.id } });
  const conflict = await rest(server, vendor, '/api/v1/status-reports', { ...input, status: 'MAJOR_OUTAGE' });
  expect(conflict).toMatchObject({ status: 409, body: { error: { code: 'CONFLICT', field: 'idempotencyKey' } } });
  expect(await rest(server, null, '/api/v1/status-reports', input)).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHENTICATED' } } });
  expect(await rest(server, vendor, '/api/v1/status-reports', { ...input, idempotencyKey: 'rest-bad', status: 'BROKEN' })).toMatchObject({ status: 400 });

  const batch = { reports: [{ externalRef: 'gw-rest-1', status: 'OPERATIONAL', idempotencyKey: 'rest-b-1' }, { externalRef: 'gw-none', status: 'OPERATIONAL' }] };
  const batchRest = await rest(server, vendor, '/api/v1/status-reports/batch', batch);
  expect(batchRest.status).toBe(200);
  expect(batchRest.body).toMatchObject({ accepted: 1, refused: 1, results: [{ outcome: 'ACCEPTED' }, { outcome: 'REFUSED', error: { code: 'NOT_FOUND', field: 'reports.1.externalRef' } }] });
  const batchGraphQL = await graphql(server, vendor, BATCH, { input: batch });
  expect(batchGraphQL.body.data.reportStatuses).toMatchObject({ accepted: 0, replayed: 1, refused: 1 });
  expect(batchGraphQL.body.data.reportStatuses.results[0].statusReport.id).toBe(batchRest.body.results[0].statusReport.id);
});

test('a batch costs its reports: REST and GraphQL draw on one budget per token and are refused alike when it is spent', async () => {
  const server = await startServer({ QUERY_COST_PER_MINUTE: '3000', QUERY_MAX_COST: '3000' });
  const vendor = await tokenOf(vendorId);
  await gateways(server, vendor, 'gw-cost', 1);
  const reports = Array.from({ length: 60 }, (_, i) => ({ externalRef: 'gw-cost-0', status: 'OPERATIONAL', idempotencyKey: `cost-${i}` }));
  // 180 reports cost more than one operation may.
  const tooCostly = await rest(server, vendor, '/api/v1/status-reports/batch', { reports: [...reports, ...reports, ...reports] });
  expect(tooCostly).toMatchObject({ status: 400, body: { error: { code: 'BAD_USER_INPUT' } } });
  const first = await rest(server, vendor, '/api/v1/status-reports/batch', { reports });
  expect(first.status).toBe(200);
  // 60 reports × their selection is over half the minute's budget: the next batch, by either way, does not fit.
  const overRest = await rest(server, vendor, '/api/v1/status-reports/batch', { reports });
  expect(overRest).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED' } } });
  expect(overRest.retryAfter).not.toBeNull();
  const overGraphQL = await graphql(server, vendor, BATCH, { input: { reports } });
  expect(overGraphQL.body.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
});

test('GET /openapi.json is a valid OpenAPI 3.1 document whose input matches the GraphQL input', async () => {
  const server = await startServer();
  const response = await fetch(`${origin(server)}/openapi.json`);
  expect(response.status).toBe(200);
  const served = await response.json();
  expect(served).toEqual(JSON.parse(JSON.stringify(OPENAPI_DOCUMENT)));
  // @seriousme/openapi-schema-validator is an ES module: its CLI, in a process of its own.
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-')), 'openapi.json');
  fs.writeFileSync(file, JSON.stringify(served));
  const output = execFileSync(process.execPath, [require.resolve('@seriousme/openapi-schema-validator/bin/validate-api-cli.js'), file], { encoding: 'utf8' });
  expect(JSON.parse(output.slice(output.indexOf('{')))).toMatchObject({ valid: true });
  const input = createSchema().getType('ReportStatusInput') as GraphQLInputObjectType;
  expect(Object.keys(served.components.schemas.ReportStatusInput.properties).sort()).toEqual(Object.keys(input.getFields()).sort());
  expect(getNamedType(input.getFields().status.type).name).toBe('ComponentStatus');
});
