import 'reflect-metadata';
import { ConfigError, loadConfig } from '../config';
import { openDatabase } from '../db/database';
import { createLog } from '../log';

/**
 * `npm run migrate` (or `node dist/src/cli/migrate.js` where there is no compiler, as in the
 * container image): applies pending migrations to DATABASE_URL and exits. The same path as a
 * server's start: it waits for PostgreSQL, and takes the migration lock, so it may run while
 * instances start.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL is required: the embedded engine migrates itself on `npm start`.');
  const log = createLog(config.logLevel);
  const database = await openDatabase(config, log);
  await database.close();
  log.info('migrations are current');
}

main().catch((error: unknown) => {
  process.stderr.write(`migrate failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
