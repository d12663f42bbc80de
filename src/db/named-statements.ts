import type { DataSource, EntityManager } from 'typeorm';

/**
 * Statements every dashboard sends, prepared once per connection under a name, so that PostgreSQL
 * parses them once and may keep one plan for them (it compares the generic plan with the first five
 * custom ones) instead of planning them at every request: the path check of a municipality's root
 * causes takes longer to plan than to run.
 *
 * Only where `useNamedStatements` was called for the data source: on a PostgreSQL server, unless
 * DATABASE_NAMED_STATEMENTS=off (a pooler in transaction mode that does not carry prepared
 * statements). Never on the embedded engine: it serves every connection from one session, so a
 * connection opened again would find its names already taken. Inside a transaction the statement
 * runs as any other, on the transaction's connection.
 */
const enabled = new WeakSet<DataSource>();

export function useNamedStatements(dataSource: DataSource): void {
  enabled.add(dataSource);
}

interface NamingClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

export async function queryNamed<T>(db: EntityManager, name: string, text: string, parameters: readonly unknown[]): Promise<T[]> {
  const values = [...parameters];
  if (db.queryRunner || !enabled.has(db.connection)) return db.query(text, values);
  const runner = db.connection.createQueryRunner();
  try {
    const client = (await runner.connect()) as NamingClient;
    // As TypeORM logs every statement it sends (src/db/query-counter.ts counts them).
    db.connection.logger.logQuery(text, values, runner);
    const started = Date.now();
    const result = await client.query({ name, text, values });
    const took = Date.now() - started;
    const slow = db.connection.options.maxQueryExecutionTime;
    if (slow && took > slow) db.connection.logger.logQuerySlow(took, text, values, runner);
    return result.rows as T[];
  } finally {
    await runner.release();
  }
}
