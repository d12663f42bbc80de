import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * The pg Pool under a DataSource, for the few that speak pg directly (the shared rate-limit counts):
 * the same connections, limits and timeouts as TypeORM's, without its query runner around each statement.
 */
export function poolOf(dataSource: DataSource): Pool {
  const driver = dataSource.driver;
  if (!(driver instanceof PostgresDriver)) throw new Error('ketenbeeld runs on PostgreSQL only');
  return driver.master as Pool;
}
