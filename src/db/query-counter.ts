import type { Logger, QueryRunner } from 'typeorm';
import type { Log } from '../log';

/** Enough of a statement to recognise it in a log line; never its parameters (they may hold secrets). */
const QUERY_CHARS = 300;

/**
 * TypeORM's logger. Counts the SQL statements TypeORM sends (tests use it to guard against N+1
 * queries; cheap enough to leave on), and, given the server's log, writes the statements worth a
 * look there: slower than the DataSource's maxQueryExecutionTime, or failed.
 */
export class QueryCounter implements Logger {
  count = 0;
  statements: string[] = [];
  recordStatements = false;

  /** LOG_LEVEL=debug: every statement (without its parameters) goes to the log too. */
  private readonly logStatements: boolean;

  constructor(private readonly serverLog?: Log) {
    this.logStatements = serverLog?.isEnabled?.('debug') ?? false;
  }

  reset(): void {
    this.count = 0;
    this.statements = [];
  }

  logQuery(query: string): void {
    // Transaction control is bookkeeping, not a statement a reviewer worries about.
    if (/^(START TRANSACTION|BEGIN|COMMIT|ROLLBACK|SET LOCAL|SAVEPOINT|RELEASE)/i.test(query)) return;
    this.count += 1;
    if (this.recordStatements) this.statements.push(query);
    if (this.logStatements) this.serverLog!.debug('query', { query: query.slice(0, QUERY_CHARS) });
  }

  logQueryError(error: string | Error, query: string, _parameters?: unknown[], queryRunner?: QueryRunner): void {
    const message = error instanceof Error ? error.message : error;
    const sqlState = error instanceof Error ? (error as { code?: unknown }).code : undefined;
    this.serverLog?.warn('query failed', { sqlState, error: message, query: query.slice(0, QUERY_CHARS) });
    // pg gives up waiting (query_timeout) but keeps the connection, with the statement still pending
    // on it, for the next request to queue behind. Closing it makes the pool drop it instead.
    if (message === 'Query read timeout') destroyConnection(queryRunner);
  }

  logQuerySlow(time: number, query: string): void {
    this.serverLog?.warn('slow query', { ms: time, query: query.slice(0, QUERY_CHARS) });
  }

  logSchemaBuild(): void {}

  logMigration(message: string): void {
    this.serverLog?.info(message);
  }

  /** TypeORM's own remarks; `warn` is the pool reporting a connection it lost (PostgreSQL restarted, say). */
  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.serverLog?.warn('database driver', { detail: String(message) });
    else this.serverLog?.debug('database driver', { detail: String(message) });
  }
}

function destroyConnection(queryRunner: QueryRunner | undefined): void {
  const client = (queryRunner as { databaseConnection?: { connection?: { stream?: { destroy(): void } } } } | undefined)?.databaseConnection;
  client?.connection?.stream?.destroy();
}
