import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createDataSource, migrate } from '../../src/db/data-source';
import { EmbeddedPostgres, startEmbeddedPostgres } from '../../src/db/embedded';

/**
 * With DATABASE_URL (CI): one migrated template database on that server, which every test file
 * copies into a database of its own. Without it: one embedded engine per jest worker (PGlite has a
 * single database and session, so each test file resets its schema before it starts).
 */
export default async function globalSetup(globalConfig: { maxWorkers: number }): Promise<void> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const template = `ketenbeeld_template_${randomBytes(4).toString('hex')}`;
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${template}`);
    await admin.end();
    const dataSource = createDataSource({ url: withDatabase(serverUrl, template), poolSize: 1 });
    await dataSource.initialize();
    await migrate(dataSource);
    await dataSource.destroy();
    process.env.KETENBEELD_TEST_TEMPLATE = template;
    return;
  }
  const engines: EmbeddedPostgres[] = [];
  for (let i = 0; i < Math.max(1, globalConfig.maxWorkers); i++) {
    engines.push(await startEmbeddedPostgres({ maxConnections: 20 }));
  }
  (globalThis as { ketenbeeldEngines?: EmbeddedPostgres[] }).ketenbeeldEngines = engines;
  process.env.KETENBEELD_TEST_EMBEDDED_URLS = JSON.stringify(engines.map((engine) => engine.url));
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
