import type { EntityManager } from 'typeorm';

/** deadlock_detected, serialization_failure: PostgreSQL broke the transaction off; trying again is safe. */
const RETRYABLE = new Set(['40P01', '40001']);
const ATTEMPTS = 3;

function sqlState(error: unknown): string | undefined {
  const cause = (error as { driverError?: { code?: string }; code?: string } | null);
  return cause?.driverError?.code ?? cause?.code;
}

/**
 * Runs one write in one transaction. Writes lock the rows of the stored picture they change in id
 * order, so they rarely wait in a circle; when two do, PostgreSQL ends one of them, and it is run
 * again from the start here (nothing of it was kept).
 */
export async function inWriteTransaction<T>(db: EntityManager, work: (tx: EntityManager) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work);
    } catch (error) {
      if (attempt >= ATTEMPTS || !RETRYABLE.has(sqlState(error) ?? '')) throw error;
    }
  }
}
