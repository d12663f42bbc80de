import { loadConfig } from '../../src/config';
import { createLog } from '../../src/log';
import { issueToken } from '../../src/modules/access';
import type { Viewer } from '../../src/modules/access';
import { rebuildLivePicture } from '../../src/modules/status';
import { startHttpServer } from '../../src/server';
import { COORDINATOR, TestApi } from '../helpers/api';
import { openTestDatabase, TestDatabase } from '../helpers/database';
import { factories } from '../helpers/factories';

/**
 * A what-if asked again while nothing it reads has changed is given the answer kept from before
 * (src/modules/overview/kept-what-ifs.ts). Every test asks twice and checks that the kept answer
 * is the one judged afresh, and that any write it reads, through the API or by hand, and time
 * passing a heartbeat deadline, make the next answer a fresh one.
 */
let db: TestDatabase;
let api: TestApi;
let make: ReturnType<typeof factories>;
const sql = (text: string, params: unknown[] = []) => db.dataSource.query(text, params);
const globalId = (uuid: string) => Buffer.from(`Component:${uuid}`).toString('base64url');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const IMPACT = `query Impact($id: ID!, $status: ComponentStatus!) { impact(componentId: $id, status: $status) {
  residentsAffected municipalities { id cbsCode population }
  affected { service { id name } municipality { id } status cause stale rootCause { id } } } }`;

let operator: Extract<Viewer, { kind: 'organisation' }>;
let gateway: string;
let application: string;
let municipalities: string[];
/** Services of the gateway's operator (visible to it) and of another organisation (not visible). */
let own: string;
let others: string;
/** What `own` also depends on (outside the gateway's dependants), and a gateway nothing here depends on. */
let beside: string;
let unrelated: string;

/** Judges the whole picture again, as the next reader would after a write by hand. */
const rebuild = () => rebuildLivePicture(db.dataSource.manager);

async function whatIf(status = 'MAJOR_OUTAGE', viewer: Viewer = COORDINATOR, query = IMPACT) {
  const { data, kept } = await api.answer(query, { id: globalId(gateway), status }, viewer);
  const impact = data.impact;
  // Lists as sorted sets: their order is not defined.
  const affected = impact.affected.map((a: unknown) => JSON.stringify(a)).sort();
  return { kept, answer: { ...impact, affected, municipalities: impact.municipalities.map((m: unknown) => JSON.stringify(m)).sort() } };
}

/**
 * Asks twice: the second answer is the kept one, and the same as the first. The first is judged
 * afresh unless an earlier test asked the same at the same counts (`fresh: false`).
 */
async function askedTwice(status = 'MAJOR_OUTAGE', viewer: Viewer = COORDINATOR, fresh = true) {
  const first = await whatIf(status, viewer);
  const second = await whatIf(status, viewer);
  if (fresh) expect(first.kept).toBe(false);
  expect(second.kept).toBe(true);
  expect(second.answer).toEqual(first.answer);
  return first.answer;
}

const affectedServices = (answer: { affected: string[] }) => new Set(answer.affected.map((a) => JSON.parse(a).service.id));

beforeAll(async () => {
  db = await openTestDatabase();
  make = factories(db.dataSource.manager);
  api = await new TestApi(db.dataSource).start();
  await make.organisation('COORDINATOR', { id: (COORDINATOR as { organisationId: string }).organisationId, name: 'Coordinator' });
  const shared = await make.organisation('SHARED_SERVICE_ORGANISATION');
  const elsewhere = await make.organisation('SHARED_SERVICE_ORGANISATION');
  operator = { kind: 'organisation', organisationId: shared.id, role: 'OPERATOR', tokenId: 'kept-operator' };
  municipalities = [(await make.organisation('MUNICIPALITY', { population: 20_000 })).id, (await make.organisation('MUNICIPALITY', { population: 45_000 })).id];
  gateway = (await make.component(shared.id, 'GATEWAY')).id;
  application = (await make.component(shared.id, 'APPLICATION')).id;
  own = (await make.service(shared.id, municipalities, { audience: 'RESIDENTS' })).id;
  others = (await make.service(elsewhere.id, [municipalities[1]], { audience: 'RESIDENTS' })).id;
  await make.dependency(application, gateway);
  await make.dependency(own, application);
  await make.dependency(others, application);
  beside = (await make.component(shared.id, 'INFRASTRUCTURE')).id;
  await make.dependency(own, beside);
  unrelated = (await make.component(elsewhere.id, 'GATEWAY')).id;
  for (const id of [gateway, application, own, others, beside, unrelated]) await make.report(id, shared.id, 'OPERATIONAL', new Date(Date.now() - 3_600_000));
  await rebuild();
}, 60_000);
afterAll(async () => {
  await api?.stop();
  await db?.close();
});

test('the same what-if asked again is the kept answer, and it is the answer judged afresh', async () => {
  const answer = await askedTwice();
  expect(affectedServices(answer)).toEqual(new Set([globalId(own), globalId(others)]));
  // Another status is another question.
  expect((await whatIf('DEGRADED_PERFORMANCE')).kept).toBe(false);
});

test('after a status report through the API the next answer is judged again and shows it', async () => {
  // Test 1 asked this at the same counts.
  const before = await askedTwice('DEGRADED_PERFORMANCE', COORDINATOR, false);
  const REPORT = `mutation($input: ReportStatusInput!) { reportStatus(input: $input) { current } }`;
  await api.data(REPORT, { input: { componentId: globalId(own), status: 'MAJOR_OUTAGE', cause: 'FAILURE' } }, operator);
  const after = await whatIf('DEGRADED_PERFORMANCE');
  expect(after.kept).toBe(false);
  expect(after.answer).not.toEqual(before);
  expect(after.answer.affected.find((a: string) => a.includes(globalId(own)))).toContain('"status":"MAJOR_OUTAGE"');
  await api.data(REPORT, { input: { componentId: globalId(own), status: 'OPERATIONAL' } }, operator);
});

test('a status report on a component the answer did not read leaves it kept, and still right', async () => {
  const before = await askedTwice('DEGRADED_PERFORMANCE', COORDINATOR, false);
  const REPORT = `mutation($input: ReportStatusInput!) { reportStatus(input: $input) { current } }`;
  const [elsewhere] = await sql(`SELECT operator_id AS id FROM component WHERE id = $1`, [unrelated]);
  const operatorElsewhere: Viewer = { kind: 'organisation', organisationId: elsewhere.id, role: 'OPERATOR', tokenId: 'kept-elsewhere' };
  await api.data(REPORT, { input: { componentId: globalId(unrelated), status: 'MAJOR_OUTAGE', cause: 'PRECAUTIONARY_SHUTDOWN' } }, operatorElsewhere);
  const after = await whatIf('DEGRADED_PERFORMANCE');
  expect(after.kept).toBe(true);
  expect(after.answer).toEqual(before);
  // Judged afresh (another query text is another question), it says the same.
  expect((await whatIf('DEGRADED_PERFORMANCE', COORDINATOR, `${IMPACT} # afresh`)).answer).toEqual(before);
});

test('a status report on what the answer read just outside the dependants makes the next answer judged again', async () => {
  await askedTwice('DEGRADED_PERFORMANCE', COORDINATOR, false);
  const REPORT = `mutation($input: ReportStatusInput!) { reportStatus(input: $input) { current } }`;
  await api.data(REPORT, { input: { componentId: globalId(beside), status: 'MAJOR_OUTAGE', cause: 'FAILURE' } }, operator);
  const after = await whatIf('DEGRADED_PERFORMANCE');
  expect(after.kept).toBe(false);
  // `own` needs it: down, whatever the gateway does.
  expect(after.answer.affected.find((a: string) => a.includes(globalId(own)))).toContain('"status":"MAJOR_OUTAGE"');
  await api.data(REPORT, { input: { componentId: globalId(beside), status: 'OPERATIONAL' } }, operator);
});

test('a municipality’s population changed by hand is counted: the residents affected are judged again', async () => {
  const before = await askedTwice();
  await sql(`UPDATE organisation SET population = population + 1000 WHERE id = $1`, [municipalities[0]]);
  const after = await whatIf();
  expect(after.kept).toBe(false);
  expect(after.answer.residentsAffected).toBe(before.residentsAffected + 1000);
});

test('a dependency written by hand is counted: the new dependant is in the next answer', async () => {
  const [shared] = await sql(`SELECT operator_id AS id FROM component WHERE id = $1`, [gateway]);
  const newcomer = (await make.service(shared.id, [municipalities[0]], { audience: 'STAFF' })).id;
  await rebuild();
  expect(affectedServices(await askedTwice())).not.toContain(globalId(newcomer));
  await sql(`INSERT INTO dependency (id, component_id, depends_on_id, kind, added_at) VALUES (gen_random_uuid(), $1, $2, 'REQUIRED', now() - interval '1 minute')`, [newcomer, application]);
  await rebuild();
  const after = await whatIf();
  expect(after.kept).toBe(false);
  expect(affectedServices(after.answer)).toContain(globalId(newcomer));
});

test('each caller has its own answer: the operator’s lists only its own services, kept apart from the coordinator’s', async () => {
  const coordinators = await askedTwice('MAJOR_OUTAGE', COORDINATOR, false);
  const operators = await askedTwice('MAJOR_OUTAGE', operator);
  expect(affectedServices(operators)).not.toContain(globalId(others));
  expect(affectedServices(coordinators)).toContain(globalId(others));
  // The totals are the operator's to know.
  expect(operators.residentsAffected).toBe(coordinators.residentsAffected);
  const again = await whatIf('MAJOR_OUTAGE', COORDINATOR);
  expect(again.kept).toBe(true);
  expect(again.answer).toEqual(coordinators);
});

test('an answer asking for a field the counts do not cover (the root cause report) is never kept', async () => {
  const query = `query($id: ID!, $status: ComponentStatus!) { impact(componentId: $id, status: $status) { affected { service { id } rootCauseReport { id } } } }`;
  for (let i = 0; i < 2; i++) expect((await api.answer(query, { id: globalId(gateway), status: 'MAJOR_OUTAGE' })).kept).toBe(false);
});

test('an answer holds until the next heartbeat deadline among its services, then `stale` is judged again', async () => {
  const [shared] = await sql(`SELECT operator_id AS id FROM component WHERE id = $1`, [gateway]);
  // Its heartbeat runs out three seconds from now.
  const watched = (await make.service(shared.id, [municipalities[1]], { audience: 'RESIDENTS', heartbeatSeconds: 60 })).id;
  await make.dependency(watched, application, 'REQUIRED', null, new Date(Date.now() - 60_000));
  await make.report(watched, shared.id, 'OPERATIONAL', new Date(Date.now() - 57_000));
  await rebuild();
  const staleOf = (answer: { affected: string[] }) => JSON.parse(answer.affected.find((a) => a.includes(globalId(watched)))!).stale;
  expect(staleOf(await askedTwice())).toBe(false);
  await sleep(3_500);
  const after = await whatIf();
  expect(after.kept).toBe(false);
  expect(staleOf(after.answer)).toBe(true);
});

test('the same question asked three times at once is judged once; the others wait for its answer', async () => {
  await sql(`UPDATE organisation SET website = 'https://example.org' WHERE id = $1`, [municipalities[1]]);
  const answers = await Promise.all([whatIf(), whatIf(), whatIf()]);
  expect(answers.filter((a) => a.kept)).toHaveLength(2);
  expect(answers[1].answer).toEqual(answers[0].answer);
  expect(answers[2].answer).toEqual(answers[0].answer);
});

test('over HTTP a kept answer is the same bytes as the judged one, marked by its header', async () => {
  const server = await startHttpServer(loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' }), db.dataSource, createLog('silent'));
  try {
    const coordinatorId = (COORDINATOR as { organisationId: string }).organisationId;
    const { secret } = await issueToken(db.dataSource.manager, { organisationId: coordinatorId, role: 'COORDINATOR', expiresInDays: 1, label: 'kept over HTTP', issuedByTokenId: null });
    const ask = async (status: string) => {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
        body: JSON.stringify({ query: IMPACT, variables: { id: globalId(gateway), status } }),
      });
      return { header: response.headers.get('x-ketenbeeld-answer'), body: await response.text() };
    };
    await sql(`UPDATE organisation SET website = 'https://example.net' WHERE id = $1`, [municipalities[0]]);
    const judged = await ask('MAJOR_OUTAGE');
    const kept = await ask('MAJOR_OUTAGE');
    expect(judged.header).toBeNull();
    expect(kept.header).toBe('kept');
    expect(kept.body).toBe(judged.body);
    expect(JSON.parse(kept.body).data.impact.affected.length).toBeGreaterThan(0);
    // Another question over the same server is judged, not given this one's JSON.
    const other = await ask('DEGRADED_PERFORMANCE');
    expect(other.header).toBeNull();
    expect(JSON.parse(other.body).data.impact.affected.every((a: { status: string }) => a.status === 'DEGRADED_PERFORMANCE')).toBe(true);
  } finally {
    await server.stop();
  }
});
