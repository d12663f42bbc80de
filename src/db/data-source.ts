import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { migrations } from '../../migrations';
import { entities } from '../entities';
import { QueryCounter } from './query-counter';

export interface DatabaseOptions {
  url: string;
  poolSize: number;
  queryCounter?: QueryCounter;
  /** Milliseconds; a statement running longer is cancelled by PostgreSQL. */
  statementTimeoutMs?: number;
}

/** The one DataSource definition: the server, the tests and the migration CLI all build it here. */
export function createDataSource(options: DatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities,
    migrations,
    migrationsTableName: 'typeorm_migration',
    synchronize: false,
    migrationsRun: false,
    logger: options.queryCounter ?? new QueryCounter(),
    maxQueryExecutionTime: 1000,
    poolSize: options.poolSize,
    applicationName: 'ketenbeeld',
    extra: options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {},
  });
}

/** Applies pending migrations, each in its own transaction. The only way schema changes reach a database. */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return applied.map((migration) => migration.name);
}
