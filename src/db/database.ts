import path from 'node:path';
import { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { Log } from '../log';
import { createDataSource, migrate } from './data-source';
import { DatabaseProbe, dedicatedProbe, poolProbe } from './database-probe';
import { startEmbeddedPostgres } from './embedded';
import { QueryCounter } from './query-counter';
import { isDatabaseUnavailable } from './unavailable';

export const EMBEDDED_POOL_SIZE = 1;

export interface Database {
  dataSource: DataSource;
  /** True on PGlite: one session for all connections, no LISTEN/NOTIFY between them. */
  embedded: boolean;
  /** For /readyz: PostgreSQL answering, on a connection of its own. */
  probe: DatabaseProbe;
  close(): Promise<void>;
}

const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 5000;

/**
 * Connects to DATABASE_URL, or starts the embedded engine on DATA_DIR when there is none,
 * then applies pending migrations. The schema reaches a database no other way.
 *
 * A server that cannot be reached yet (still starting, restarting, a network away) is waited for,
 * with a log line per attempt, for up to DATABASE_WAIT_SECONDS (0: for as long as it takes), so
 * an API started before its database comes up by itself. Anything else (a wrong password, a
 * missing database) stops the start at once: waiting would not fix it.
 */
export async function openDatabase(config: Config, log: Log): Promise<Database> {
  const embedded = config.databaseUrl
    ? null
    : await startEmbeddedPostgres({
      dataDir: path.join(config.dataDir, 'pglite'),
      maxConnections: config.databasePoolSize + 2,
    });
  if (embedded) log.info('embedded PostgreSQL (PGlite) started', { dataDir: path.resolve(config.dataDir, 'pglite') });

  const url = config.databaseUrl ?? embedded!.url;
  const dataSource = createDataSource({
    url,
    // PGlite serves every socket connection from one session: two connections' Parse/Bind/Execute
    // messages interleave and overwrite each other's unnamed prepared statement. One pooled
    // connection serialises them; the embedded engine is for a newcomer's laptop, not for load.
    poolSize: embedded ? EMBEDDED_POOL_SIZE : config.databasePoolSize,
    // A runaway statement is cancelled by PostgreSQL. The embedded engine ignores this (README, "Limits").
    statementTimeoutMs: config.limits.statementTimeoutMs,
    connectTimeoutMs: config.database.connectTimeoutMs,
    readReserve: embedded ? 0 : config.database.readReserve,
    // Names are per session, and the embedded engine has one session for every connection.
    namedStatements: !embedded && config.database.namedStatements,
    queryCounter: new QueryCounter(log),
  });
  try {
    await connectWhenReachable(dataSource, config, log);
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
    throw error;
  }
  const probe = embedded ? poolProbe(dataSource) : dedicatedProbe(url);
  return {
    dataSource,
    embedded: embedded !== null,
    probe,
    async close() {
      await probe.close();
      await dataSource.destroy();
      await embedded?.stop();
    },
  };
}

async function connectWhenReachable(dataSource: DataSource, config: Config, log: Log): Promise<void> {
  const deadline = config.database.waitSeconds > 0 ? Date.now() + config.database.waitSeconds * 1000 : Infinity;
  for (let attempt = 1, retryMs = FIRST_RETRY_MS; ; attempt++, retryMs = Math.min(retryMs * 2, LAST_RETRY_MS)) {
    try {
      if (!dataSource.isInitialized) await dataSource.initialize();
      const applied = await migrate(dataSource);
      if (applied.length > 0) log.info('migrations applied', { applied });
      if (attempt > 1) log.info('database reachable', { attempts: attempt });
      return;
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() + retryMs > deadline) throw error;
      // A failed initialize() leaves the pool it created behind; the next attempt makes another.
      if (!dataSource.isInitialized) await (dataSource.driver as { master?: { end(): Promise<void> } }).master?.end().catch(() => {});
      log.warn('database not reachable yet; waiting', { attempt, retryInMs: retryMs, error: error instanceof Error ? error.message : String(error) });
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
}
