import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { createDataSource, migrate } from '../../src/db/data-source';
import { EMBEDDED_POOL_SIZE } from '../../src/db/database';
import { QueryCounter } from '../../src/db/query-counter';
import { withDatabase } from './global-setup';

export interface TestDatabase {
  dataSource: DataSource;
  queries: QueryCounter;
  /** A URL for a second pool or process on the same database. */
  url: string;
  close(): Promise<void>;
}

/** A database of this test file's own: a copy of the migrated template, or a reset embedded engine. */
export async function openTestDatabase(): Promise<TestDatabase> {
  const queries = new QueryCounter();
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const name = `ketenbeeld_test_${randomBytes(6).toString('hex')}`;
    await withAdmin(serverUrl, (admin) => admin.query(`CREATE DATABASE ${name} TEMPLATE ${process.env.KETENBEELD_TEST_TEMPLATE}`));
    const url = withDatabase(serverUrl, name);
    const dataSource = createDataSource({ url, poolSize: 5, queryCounter: queries, namedStatements: true });
    await dataSource.initialize();
    return {
      dataSource, queries, url,
      async close() {
        await dataSource.destroy();
        await withAdmin(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      },
    };
  }
  const urls: string[] = JSON.parse(process.env.KETENBEELD_TEST_EMBEDDED_URLS ?? '[]');
  const url = urls[(Number(process.env.JEST_WORKER_ID ?? '1') - 1) % urls.length];
  if (!url) throw new Error('No database: set DATABASE_URL or run through jest (its global setup starts the embedded engine)');
  // One connection, as in production on the embedded engine (see EMBEDDED_POOL_SIZE).
  const dataSource = createDataSource({ url, poolSize: EMBEDDED_POOL_SIZE, queryCounter: queries });
  await dataSource.initialize();
  await dataSource.query('DROP SCHEMA public CASCADE');
  await dataSource.query('CREATE SCHEMA public');
  await migrate(dataSource);
  return { dataSource, queries, url, close: () => dataSource.destroy() };
}

async function withAdmin<T>(url: string, work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: url });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
