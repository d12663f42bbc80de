import 'reflect-metadata';
import { DataSource, MigrationExecutor } from 'typeorm';
import { migrations } from '../../migrations';
import { entities } from '../entities';
import { QueryCounter } from './query-counter';
import { useNamedStatements } from './named-statements';
import { gateTransactions } from './transaction-gate';

export interface DatabaseOptions {
  url: string;
  poolSize: number;
  queryCounter?: QueryCounter;
  /** Milliseconds; a statement running longer is cancelled by PostgreSQL. */
  statementTimeoutMs?: number;
  /**
   * Milliseconds to wait for a connection, from the pool or a new one; then the query fails (503).
   * A statement that has not answered this long after the statement timeout fails on our side too
   * (PostgreSQL is paused or the network is gone, so its own timeout cannot fire).
   */
  connectTimeoutMs?: number;
  /** Connections kept for statements outside transactions (src/db/transaction-gate.ts); 0: no gate. */
  readReserve?: number;
  /** Dashboards' statements prepared once per connection (src/db/named-statements.ts); never on the embedded engine. */
  namedStatements?: boolean;
}

/** Past the statement timeout, how long we still wait for an answer before giving the connection up. */
const ANSWER_GRACE_MS = 2000;

/** The one DataSource definition: the server, the tests and the migration CLI all build it here. */
export function createDataSource(options: DatabaseOptions): DataSource {
  const statementTimeout = options.statementTimeoutMs ?? 0;
  const dataSource = new DataSource({
    type: 'postgres',
    url: options.url,
    entities,
    migrations,
    migrationsTableName: 'typeorm_migration',
    synchronize: false,
    migrationsRun: false,
    // The migrations make the schema (ids come from gen_random_uuid()); TypeORM would otherwise try
    // to install uuid-ossp at every start, and warn where it may not.
    installExtensions: false,
    logger: options.queryCounter ?? new QueryCounter(),
    maxQueryExecutionTime: 1000,
    poolSize: options.poolSize,
    applicationName: 'ketenbeeld',
    // Fail fast: a server that is down, paused or unreachable costs a request seconds, not forever.
    connectTimeoutMS: options.connectTimeoutMs,
    extra: {
      ...(statementTimeout ? { statement_timeout: statementTimeout, query_timeout: statementTimeout + ANSWER_GRACE_MS } : {}),
      // A transaction left open by a client that vanished does not hold its locks for ever.
      idle_in_transaction_session_timeout: 60_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    },
  });
  const reserve = options.readReserve ?? 0;
  if (reserve > 0 && options.poolSize > reserve) {
    gateTransactions(dataSource, { permits: options.poolSize - reserve, waitMs: options.connectTimeoutMs ?? 5000 });
  }
  if (options.namedStatements) useNamedStatements(dataSource);
  return dataSource;
}

/** Any number: the same on every instance, unlikely to be taken by anything else on the database. */
const MIGRATION_LOCK = 0x6b6574656e; // "keten"

/**
 * Applies pending migrations, each in its own transaction. The only way schema changes reach a
 * database. Instances starting together take turns: the first applies, the others wait for it
 * (a session-level advisory lock, held on the connection the migrations run on) and then find
 * nothing pending.
 */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = 'each';
      const applied = await executor.executePendingMigrations();
      return applied.map((migration) => migration.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await runner.release();
  }
}
