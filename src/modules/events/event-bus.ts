import type { EntityManager } from 'typeorm';
import type { Log } from '../../log';
import type { ChangeEvent, EventBatch } from './change-event';
import { changeEventRepository } from './change-event.repository';
import { observeEventDeliveryLag } from '../../platform/metrics';

/** How events committed somewhere reach this instance: PostgreSQL LISTEN/NOTIFY, or in-process. */
export interface EventChannel {
  /** Calls `wake` whenever new events may have been committed. */
  start(wake: () => void): Promise<void>;
  stop(): Promise<void>;
}

export type BatchListener = (batch: EventBatch) => void;

/** Rows per fetch; a burst larger than this is fetched in several pages, in order. */
const PAGE = 500;
const RETRY_MS = 1000;

/** What the bus has done since it started: for logs and the tests' measurements. */
export interface EventBusStats {
  wakes: number;
  fetches: number;
  events: number;
}

/**
 * One per server instance. On every wake it fetches the events after the last one it saw (one query,
 * whatever the number of subscribers) and hands the batch to every listener, which filters in
 * memory. Wakes that arrive while a fetch runs fold into one more fetch, so a burst of
 * notifications costs at most one query more than it has to. With no subscription listening it reads
 * only the newest position, and tells the watchers.
 */
export class EventBus {
  private readonly listeners = new Set<BatchListener>();
  /** The instance's own machinery (the webhook worker): told that events arrived, not given them, not counted. */
  private readonly watchers = new Set<() => void>();
  private lastSeq = 0;
  private running: Promise<void> | null = null;
  private wokenWhileRunning = false;
  private stopped = false;
  readonly stats: EventBusStats = { wakes: 0, fetches: 0, events: 0 };

  constructor(
    /** Reads only; the pool's, not the listener's connection. */
    readonly db: EntityManager,
    private readonly channel: EventChannel,
    private readonly log: Log,
  ) {}

  /** Listen first, then read where the stream stands: an event committed in between is fetched, not lost. */
  async start(): Promise<void> {
    await this.channel.start(() => this.wake());
    this.lastSeq = await changeEventRepository.lastSeq(this.db);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.channel.stop();
    await this.running;
    this.listeners.clear();
    this.watchers.clear();
  }

  /** The newest event this instance has delivered. */
  get position(): number {
    return this.lastSeq;
  }

  /** Returns the function that stops listening. */
  listen(listener: BatchListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** For the instance's own machinery: called whenever new events arrived; not counted as a subscription. */
  watch(watcher: () => void): () => void {
    this.watchers.add(watcher);
    return () => {
      this.watchers.delete(watcher);
    };
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  wake(): void {
    if (this.stopped) return;
    this.stats.wakes += 1;
    if (this.running) {
      this.wokenWhileRunning = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
      // A wake between the last pass's check and here (a microtask) would otherwise wait for the next one.
      if (this.wokenWhileRunning) this.wake();
    });
  }

  private async drain(): Promise<void> {
    let more = true;
    while (more && !this.stopped) {
      this.wokenWhileRunning = false;
      let events: ChangeEvent[];
      try {
        if (this.listeners.size === 0) {
          // No subscription to hand events to: the watchers need only the news, so the bus moves to
          // the newest position without reading the events (a hub's report brings tens of thousands).
          const newest = await changeEventRepository.lastSeq(this.db);
          // A subscription that began meanwhile starts from where the bus stood: read for it instead.
          if (this.listeners.size === 0) {
            if (newest > this.lastSeq) {
              this.lastSeq = newest;
              this.tellWatchers();
            }
            more = this.wokenWhileRunning;
            continue;
          }
        }
        this.stats.fetches += 1;
        events = await changeEventRepository.after(this.db, this.lastSeq, PAGE);
      } catch (error) {
        // Retried from the same position, so nothing is skipped; meanwhile subscribers wait.
        this.log.error('fetching change events failed; retrying in a second', { error });
        setTimeout(() => this.wake(), RETRY_MS).unref();
        return;
      }
      if (events.length > 0) {
        this.lastSeq = events[events.length - 1].seq;
        this.stats.events += events.length;
        this.deliver({ events });
      }
      more = events.length === PAGE || this.wokenWhileRunning;
    }
  }

  private deliver(batch: EventBatch): void {
    const now = Date.now();
    for (const event of batch.events) observeEventDeliveryLag((now - event.occurredAt.getTime()) / 1000);
    for (const listener of [...this.listeners]) {
      try {
        listener(batch);
      } catch (error) {
        this.log.error('a change event listener failed', { error });
      }
    }
    this.tellWatchers();
  }

  private tellWatchers(): void {
    for (const watcher of [...this.watchers]) {
      try {
        watcher();
      } catch (error) {
        this.log.error('a change event watcher failed', { error });
      }
    }
  }
}
