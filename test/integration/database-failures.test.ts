import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/db/data-source';
import { createRequestContext } from '../../src/context';
import type { Viewer } from '../../src/modules/access';
import { loadDemoScenario } from '../../src/seed/demo-scenario';
import { TestApi } from '../helpers/api';
import { openTestDatabase, TestDatabase } from '../helpers/database';

/**
 * PostgreSQL going away, as clients see it: a retryable 503 instead of a masked internal error, a
 * committed report answered as committed, and reads that go on while writers wait on a lock.
 */
let db: TestDatabase;
let api: TestApi;
let centric: Viewer;
let centricGateway: string;

const REPORT = `
  mutation Report($input: ReportStatusInput!) {
    reportStatus(input: $input) { replayed current statusReport { id status } effectiveStatus { status cause } }
  }`;

beforeAll(async () => {
  db = await openTestDatabase();
  await db.dataSource.transaction((manager) => loadDemoScenario(manager));
  api = await new TestApi(db.dataSource).start();
  const centricId = (await db.dataSource.query(`SELECT id FROM organisation WHERE name LIKE 'Centric%'`))[0].id as string;
  centric = { kind: 'organisation', organisationId: centricId, role: 'VENDOR', tokenId: 'centric-integration' };
  const gateway = (await db.dataSource.query(`SELECT id FROM component WHERE name = 'Centric Citrix server'`))[0].id as string;
  centricGateway = Buffer.from(`Component:${gateway}`).toString('base64url');
});
afterAll(async () => {
  await api.stop();
  await db.close();
});

/** From now until `restore()`, every new connection TypeORM asks for is refused, as by a server that is down. */
function refuseConnections(dataSource: DataSource): () => void {
  const driver = dataSource.driver as unknown as { obtainMasterConnection: () => Promise<unknown> };
  const original = driver.obtainMasterConnection;
  driver.obtainMasterConnection = () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
  return () => {
    driver.obtainMasterConnection = original;
  };
}

async function execute(query: string, variables: Record<string, unknown>, contextValue: ReturnType<typeof createRequestContext>) {
  const response = await api.server.executeOperation({ query, variables }, { contextValue });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return { status: response.http.status, retryAfter: response.http.headers.get('retry-after'), result: response.body.singleResult };
}

test('a database that is away is a 503 SERVICE_UNAVAILABLE with Retry-After, not an internal error', async () => {
  const restore = refuseConnections(db.dataSource);
  try {
    const answer = await execute(`{ municipality(cbsCode: "GM0534") { name } }`, {}, createRequestContext(db.dataSource.manager, { viewer: centric }));
    expect(answer.status).toBe(503);
    expect(Number(answer.retryAfter)).toBeGreaterThan(0);
    expect(answer.result.errors?.map((error) => error.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(answer.result.errors?.[0].message).not.toMatch(/ECONNREFUSED|5432/);
  } finally {
    restore();
  }
});

test('a report committed just before the database goes away is answered as stored, with its effective status', async () => {
  // Every read after the commit fails: the answer must come from what the transaction already read.
  const context = createRequestContext(db.dataSource.manager, { viewer: centric });
  let restore = () => {};
  const transaction = context.db.transaction.bind(context.db) as (...args: unknown[]) => Promise<unknown>;
  context.db = new Proxy(context.db, {
    get(target, property, receiver) {
      if (property !== 'transaction') return Reflect.get(target, property, receiver);
      return async (...args: unknown[]) => {
        const committed = await transaction(...args);
        restore = refuseConnections(db.dataSource);
        return committed;
      };
    },
  });
  try {
    const input = { componentId: centricGateway, status: 'MAJOR_OUTAGE', cause: 'PRECAUTIONARY_SHUTDOWN', idempotencyKey: 'committed-then-gone' };
    const answer = await execute(REPORT, { input }, context);
    expect(answer.result.errors).toBeUndefined();
    expect(answer.status ?? 200).toBe(200);
    expect(answer.result.data).toMatchObject({
      reportStatus: { replayed: false, current: true, statusReport: { status: 'MAJOR_OUTAGE' }, effectiveStatus: { status: 'MAJOR_OUTAGE', cause: 'PRECAUTIONARY_SHUTDOWN' } },
    });
  } finally {
    restore();
  }
  const stored = await db.dataSource.query(`SELECT count(*)::int AS n FROM status_report WHERE idempotency_key = 'committed-then-gone'`);
  expect(stored[0].n).toBe(1);
});

const onServer = process.env.DATABASE_URL ? describe : describe.skip;

onServer('writers waiting on a lock (a server: the embedded engine has one connection)', () => {
  /**
   * Eight writers block on a table lock held elsewhere, inside their transactions, on a pool of five.
   * How long does a read take meanwhile? With two connections kept for reads, it does not wait.
   */
  async function readWhileWritersWait(readReserve: number): Promise<{ readMs: number; stored: number }> {
    const dataSource = createDataSource({ url: db.url, poolSize: 5, readReserve, connectTimeoutMs: 8000 });
    await dataSource.initialize();
    const writerApi = new TestApi(dataSource);
    await writerApi.start();
    const locker = new Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE status_report IN EXCLUSIVE MODE');
      const writes = Array.from({ length: 8 }, (_, i) => writerApi.query(REPORT, {
        input: { componentId: centricGateway, status: i % 2 ? 'OPERATIONAL' : 'MAJOR_OUTAGE', cause: i % 2 ? null : 'FAILURE', idempotencyKey: `blocked-${readReserve}-${i}` },
      }, centric));
      await new Promise((resolve) => setTimeout(resolve, 500));
      const started = performance.now();
      const read = writerApi.query(`{ organisations(first: 5) { totalCount } }`);
      // The lock goes after 3 s at the latest: without a reserve the read waits for it.
      const release = setTimeout(() => void locker.query('COMMIT'), 3000);
      const answer = await read;
      const readMs = performance.now() - started;
      expect(answer.errors).toBeUndefined();
      clearTimeout(release);
      await locker.query('COMMIT');
      const results = await Promise.all(writes);
      expect(results.flatMap((result) => result.errors ?? [])).toEqual([]);
      const stored = await db.dataSource.query(`SELECT count(*)::int AS n FROM status_report WHERE idempotency_key LIKE $1`, [`blocked-${readReserve}-%`]);
      return { readMs, stored: stored[0].n };
    } finally {
      await locker.end();
      await writerApi.stop();
      await dataSource.destroy();
    }
  }

  test('with connections kept for reads, a read is answered at once; without, it waits for the lock', async () => {
    const reserved = await readWhileWritersWait(2);
    expect(reserved.stored).toBe(8);
    expect(reserved.readMs).toBeLessThan(1000);
    const unreserved = await readWhileWritersWait(0);
    expect(unreserved.stored).toBe(8);
    expect(unreserved.readMs).toBeGreaterThan(2000);
  }, 60_000);
});
