import { Client } from 'pg';
import type { DataSource } from 'typeorm';

/** Answers "does PostgreSQL answer now?" within `timeoutMs`, for /readyz. */
export interface DatabaseProbe {
  /** Resolves when `SELECT 1` answered in time; rejects otherwise. */
  check(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * One connection of its own, outside the request pool: a pool whose connections all wait on locks
 * or on a paused server must not make the probe wait with them. Concurrent checks share one query;
 * a connection that failed or timed out is thrown away and the next check opens a new one.
 */
export function dedicatedProbe(url: string): DatabaseProbe {
  let client: Client | null = null;
  let running: Promise<void> | null = null;

  const discard = (broken: Client) => {
    if (client === broken) client = null;
    broken.removeAllListeners('error');
    broken.on('error', () => {});
    void broken.end().catch(() => {});
    // end() waits for the server to answer; a paused one will not, so the socket goes now.
    (broken as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
  };

  const probe = async (timeoutMs: number) => {
    const current = client ?? new Client({
      connectionString: url, application_name: 'ketenbeeld-probe', keepAlive: true,
      connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs,
    });
    if (!client) {
      client = current;
      current.on('error', () => discard(current));
      await withTimeout(current.connect(), timeoutMs).catch((error: unknown) => {
        discard(current);
        throw error;
      });
    }
    try {
      await withTimeout(current.query('SELECT 1'), timeoutMs);
    } catch (error) {
      discard(current);
      throw error;
    }
  };

  return {
    check(timeoutMs) {
      running ??= probe(timeoutMs).finally(() => {
        running = null;
      });
      return running;
    },
    async close() {
      if (client) discard(client);
    },
  };
}

/**
 * The embedded engine serves every connection from one session, so a second connection's messages
 * could interleave with the pool's; there the probe asks through the pool (of one connection).
 */
export function poolProbe(dataSource: DataSource): DatabaseProbe {
  return {
    check: (timeoutMs) => withTimeout(dataSource.query('SELECT 1'), timeoutMs).then(() => undefined),
    close: async () => {},
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
