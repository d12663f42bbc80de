import { Client } from 'pg';
import type { EmbeddedPostgres } from '../../src/db/embedded';

export default async function globalTeardown(): Promise<void> {
  const template = process.env.KETENBEELD_TEST_TEMPLATE;
  if (process.env.DATABASE_URL && template) {
    const admin = new Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${template}`);
    await admin.end();
  }
  const engines = (globalThis as { ketenbeeldEngines?: EmbeddedPostgres[] }).ketenbeeldEngines ?? [];
  for (const engine of engines) await engine.stop();
}
