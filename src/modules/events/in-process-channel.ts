import type { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import type { EventChannel } from './event-bus';

/** Set on a transaction's QueryRunner (TypeORM's documented place for data shared with subscribers). */
const EVENTS_RECORDED = 'ketenbeeldEventsRecorded';

/** Change events are only ever written inside the write that caused them (one write, one transaction). */
export function requireTransaction(db: EntityManager): void {
  if (!db.queryRunner?.isTransactionActive) {
    throw new Error('Change events are recorded inside the transaction of the write that caused them');
  }
}

/** Tells the in-process channel, if there is one, to wake its bus when this transaction commits. */
export function markEventsRecorded(db: EntityManager): void {
  db.queryRunner!.data[EVENTS_RECORDED] = true;
}

/** True once, after the outermost commit of a transaction that recorded events. */
function committedWithEvents(queryRunner: QueryRunner): boolean {
  if (queryRunner.isTransactionActive || !queryRunner.data[EVENTS_RECORDED]) return false;
  delete queryRunner.data[EVENTS_RECORDED];
  return true;
}

/**
 * For the embedded engine (PGlite), whose connections share one session and so never hear each
 * other's NOTIFY. One process owns the embedded database, so every write that stores events runs
 * in this process, through this DataSource: the channel watches its transactions and wakes the bus
 * after each commit that recorded events. Not after the INSERT: before the commit the bus's own
 * query could not see the rows yet.
 */
export class InProcessChannel implements EventChannel {
  private readonly subscriber: EntitySubscriberInterface;
  private wake: (() => void) | null = null;

  constructor(private readonly dataSource: DataSource) {
    this.subscriber = {
      afterTransactionCommit: ({ queryRunner }) => {
        if (committedWithEvents(queryRunner)) this.wake?.();
      },
      afterTransactionRollback: ({ queryRunner }) => {
        if (!queryRunner.isTransactionActive) delete queryRunner.data[EVENTS_RECORDED];
      },
    };
  }

  async start(wake: () => void): Promise<void> {
    this.wake = wake;
    this.dataSource.subscribers.push(this.subscriber);
  }

  async stop(): Promise<void> {
    this.wake = null;
    const index = this.dataSource.subscribers.indexOf(this.subscriber);
    if (index >= 0) this.dataSource.subscribers.splice(index, 1);
  }
}
