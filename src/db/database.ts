import path from 'node:path';
import { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { Log } from '../log';
import { createDataSource, migrate } from './data-source';
import { startEmbeddedPostgres } from './embedded';

export const EMBEDDED_POOL_SIZE = 1;

export interface Database {
  dataSource: DataSource;
  /** True on PGlite: one session for all connections, no LISTEN/NOTIFY between them. */
  embedded: boolean;
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL, or starts the embedded engine on DATA_DIR when there is none,
 * then applies pending migrations. The schema reaches a database no other way.
 */
export async function openDatabase(config: Config, log: Log): Promise<Database> {
  const embedded = config.databaseUrl
    ? null
    : await startEmbeddedPostgres({
      dataDir: path.join(config.dataDir, 'pglite'),
      maxConnections: config.databasePoolSize + 2,
    });
  if (embedded) log.info('embedded PostgreSQL (PGlite) started', { dataDir: path.resolve(config.dataDir, 'pglite') });

  const dataSource = createDataSource({
    url: config.databaseUrl ?? embedded!.url,
    // PGlite serves every socket connection from one session: two connections' Parse/Bind/Execute
    // messages interleave and overwrite each other's unnamed prepared statement. One pooled
    // connection serialises them; the embedded engine is for a newcomer's laptop, not for load.
    poolSize: embedded ? EMBEDDED_POOL_SIZE : config.databasePoolSize,
    // A runaway statement is cancelled by PostgreSQL. The embedded engine ignores this (README, "Limits").
    statementTimeoutMs: config.limits.statementTimeoutMs,
  });
  try {
    await dataSource.initialize();
    const applied = await migrate(dataSource);
    if (applied.length > 0) log.info('migrations applied', { applied });
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
    throw error;
  }
  return {
    dataSource,
    embedded: embedded !== null,
    async close() {
      await dataSource.destroy();
      await embedded?.stop();
    },
  };
}
