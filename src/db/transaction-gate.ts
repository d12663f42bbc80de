import type { DataSource, QueryRunner } from 'typeorm';
import { DatabaseBusyError } from './unavailable';

/**
 * Keeps `reserve` connections of the pool for statements outside transactions (the reads of
 * queries, the token check): at most `poolSize − reserve` transactions hold a connection at once.
 *
 * Why: writers wait inside their transaction, holding a connection, for the locks that order them
 * (change events, the dependency graph). A dozen writers queued behind one slow report used to hold
 * every connection of the pool, so every read, and the health check, waited for them. Now writers
 * beyond the limit wait here, without a connection, and give up after `waitMs` (the client gets 503
 * with Retry-After), while reads keep their connections.
 *
 * A transaction takes its permit when it starts (not for savepoints) and returns it when its query
 * runner is released, which EntityManager.transaction always does.
 */
export function gateTransactions(dataSource: DataSource, options: { permits: number; waitMs: number }): void {
  const gate = new Semaphore(options.permits);
  const createQueryRunner = dataSource.createQueryRunner.bind(dataSource);
  dataSource.createQueryRunner = (mode) => {
    const runner = createQueryRunner(mode);
    let holding = false;
    const startTransaction = runner.startTransaction.bind(runner);
    const release = runner.release.bind(runner);
    runner.startTransaction = async (isolationLevel) => {
      if (!holding && !runner.isTransactionActive) {
        await gate.acquire(options.waitMs);
        holding = true;
      }
      return startTransaction(isolationLevel);
    };
    runner.release = async () => {
      try {
        return await release();
      } finally {
        if (holding) {
          holding = false;
          gate.release();
        }
      }
    };
    return runner satisfies QueryRunner;
  };
}

/** Counting semaphore whose waiters give up after a while. */
class Semaphore {
  private readonly waiting: { grant: () => void }[] = [];

  constructor(private available: number) {}

  acquire(waitMs: number): Promise<void> {
    if (this.available > 0) {
      this.available -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(new DatabaseBusyError(`no database connection for a transaction within ${waitMs} ms`));
      }, waitMs);
      this.waiting.push(waiter);
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next.grant();
    else this.available += 1;
  }
}
