import type { Logger } from 'typeorm';

/**
 * Counts the SQL statements TypeORM sends. Tests use it to guard against N+1 queries; it is cheap
 * enough to leave on, and `slowQueryMs` reports statements worth looking at in the server log.
 */
export class QueryCounter implements Logger {
  count = 0;
  statements: string[] = [];
  recordStatements = false;

  constructor(private readonly warn: (message: string) => void = () => {}) {}

  reset(): void {
    this.count = 0;
    this.statements = [];
  }

  logQuery(query: string): void {
    // Transaction control is bookkeeping, not a statement a reviewer worries about.
    if (/^(START TRANSACTION|BEGIN|COMMIT|ROLLBACK|SET LOCAL|SAVEPOINT|RELEASE)/i.test(query)) return;
    this.count += 1;
    if (this.recordStatements) this.statements.push(query);
  }
  logQueryError(error: string | Error, query: string): void {
    this.warn(`query failed: ${error instanceof Error ? error.message : error} -- ${query.slice(0, 200)}`);
  }
  logQuerySlow(time: number, query: string): void {
    this.warn(`slow query (${time} ms): ${query.slice(0, 200)}`);
  }
  logSchemaBuild(): void {}
  logMigration(message: string): void {
    this.warn(message);
  }
  log(): void {}
}
