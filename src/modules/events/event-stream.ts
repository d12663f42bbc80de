import { AppError } from '../../errors';
import type { ChangeEvent, EventBatch } from './change-event';
import type { BatchListener } from './event-bus';

/** A subscriber this far behind (a stalled socket) is cut off; it may resume with its cursor. */
export const MAX_QUEUED = 10_000;
const REPLAY_PAGE = 500;

export interface EventStreamOptions<T> {
  /** The instance's EventBus, or anything else that hands out batches in `seq` order. */
  bus: { listen(listener: BatchListener): () => void };
  /** Replay the stored events after this `seq` before the live ones; null for live events only. */
  since: number | null;
  /** The subscription's filter, in memory, for live and replayed events alike. */
  matches(event: ChangeEvent): boolean;
  /** The live events of a batch that may match, in `seq` order (a narrowing of the batch); default: all of them. */
  candidates?(batch: EventBatch): readonly ChangeEvent[];
  /** Stored events after `seq` that may match (narrowed in SQL), oldest first. */
  replay(seq: number, limit: number): Promise<ChangeEvent[]>;
  toPayload(event: ChangeEvent, batch: EventBatch): T;
}

/**
 * One subscription's events, in `seq` order, as an async iterator for graphql-js.
 *
 * It starts listening before it replays, and holds the live events back until the replay is done,
 * then drops those the replay already delivered: nothing is missed or sent twice across the seam.
 *
 * Written by hand rather than as an async generator: a generator that is waiting for the next event
 * cannot be ended until that event arrives, and a subscriber who leaves must stop costing at once.
 */
export class EventStream<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private waitingFailed: ((error: unknown) => void) | null = null;
  private failure: unknown = null;
  private finished = false;
  /** Live events that arrived during the replay. */
  private held: { event: ChangeEvent; batch: EventBatch }[] | null;
  /** The newest `seq` delivered or passed over. */
  private position = 0;
  private readonly unlisten: () => void;

  constructor(private readonly options: EventStreamOptions<T>) {
    this.held = options.since === null ? null : [];
    this.unlisten = options.bus.listen((batch) => this.receive(batch));
    if (options.since !== null) {
      this.position = options.since;
      this.replay(options.since).catch((error: unknown) => this.fail(error));
    }
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.failure !== null) {
      const failure = this.failure;
      this.failure = null;
      return Promise.reject(failure);
    }
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.waitingFailed = reject;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.finish();
    return Promise.reject(error);
  }

  /** How many events wait for the subscriber (for tests). */
  get queued(): number {
    return this.queue.length;
  }

  private receive(batch: EventBatch): void {
    for (const event of this.options.candidates?.(batch) ?? batch.events) {
      if (this.finished) return;
      if (this.held) this.held.push({ event, batch });
      else this.offer(event, batch);
    }
  }

  private offer(event: ChangeEvent, batch: EventBatch): void {
    if (event.seq <= this.position) return;
    this.position = event.seq;
    if (this.options.matches(event)) this.push(this.options.toPayload(event, batch));
  }

  private async replay(since: number): Promise<void> {
    let cursor = since;
    for (;;) {
      const events = await this.options.replay(cursor, REPLAY_PAGE);
      if (this.finished) return;
      const batch: EventBatch = { events };
      for (const event of events) this.offer(event, batch);
      if (events.length < REPLAY_PAGE) break;
      cursor = events[events.length - 1].seq;
    }
    const held = this.held ?? [];
    this.held = null;
    for (const { event, batch } of held) this.offer(event, batch);
  }

  private push(payload: T): void {
    if (this.finished) return;
    if (this.queue.length >= MAX_QUEUED) {
      this.fail(new AppError('RATE_LIMITED', `More than ${MAX_QUEUED} changes waited for this subscriber; subscribe again with since set to the last cursor received`));
      return;
    }
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      this.waitingFailed = null;
      resolve({ value: payload, done: false });
      return;
    }
    this.queue.push(payload);
  }

  private fail(error: unknown): void {
    if (this.finished) return;
    const reject = this.waitingFailed;
    this.waiting = null;
    this.waitingFailed = null;
    this.finish();
    if (reject) reject(error);
    else this.failure = error;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.held = null;
    this.unlisten();
    const resolve = this.waiting;
    this.waiting = null;
    this.waitingFailed = null;
    resolve?.({ value: undefined, done: true });
  }
}

/**
 * A stream narrowed further by a check that must read (which municipalities a maintenance window
 * concerns is not in its event). Events are checked one at a time, in order, so the order holds; a
 * subscriber who leaves ends the stream beneath at once.
 */
export function admittedOnly<T>(stream: AsyncIterableIterator<T>, admits: (payload: T) => Promise<boolean>): AsyncIterableIterator<T> {
  const admitted: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]() {
      return admitted;
    },
    async next() {
      for (;;) {
        const item = await stream.next();
        if (item.done || (await admits(item.value))) return item;
      }
    },
    return: () => stream.return?.() ?? Promise.resolve({ value: undefined, done: true }),
    throw: (error?: unknown) => stream.throw?.(error) ?? Promise.reject(error),
  };
  return admitted;
}
