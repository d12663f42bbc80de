import type { EntityManager } from 'typeorm';
import type { Log } from '../../log';
import { countWebhookAttempt, observeWebhookDeliveryLag } from '../../platform/metrics';
import type { DestinationPolicy } from '../../platform/outbound-destination';
import { fanOutOnce } from './webhook.fanout';
import { ClaimedDelivery, webhookRepository } from './webhook.repository';
import { nextRetry } from './webhook.schedule';
import { AttemptOutcome, sendMessage } from './webhook.sender';
import { registerWebhookWaker } from './webhook.wakers';

export interface WebhookWorkerOptions {
  db: EntityManager;
  policy: DestinationPolicy;
  log: Log;
  timeoutMs: number;
  /** Deliveries in flight at once. */
  concurrency: number;
  /** The longest it stays idle without looking at the outbox (deliveries queued by another instance). */
  idleMs?: number;
  /** Injected in tests: the clock and the jitter. */
  now?: () => Date;
  random?: () => number;
}

/** Extra lease beyond the timeout: a claimed delivery is attempted by nobody else until then. */
const LEASE_MARGIN_MS = 30_000;
const IDLE_MS = 5 * 60_000;
/** After the outbox could not be reached (PostgreSQL away). */
const RETRY_AFTER_ERROR_MS = 2_000;

/**
 * The delivery worker, one per instance (docs/webhooks.md, "How delivery works"). On every wake
 * (a change event committed, a delivery finished, the poll timer) it fans out the new change events
 * into deliveries, then claims the due deliveries, as many as it has room for, each the oldest
 * pending one of its endpoint, and sends them. No transaction is open while a request is in flight:
 * claiming, and recording the outcome, are short transactions of their own, so on the embedded
 * engine's one connection the API goes on answering while receivers take their time. Everything it
 * knows is in rows: a restart, of this process or of PostgreSQL, resumes from them.
 */
export class WebhookWorker {
  private readonly inFlight = new Set<Promise<void>>();
  private running: Promise<void> | null = null;
  private wokenWhileRunning = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  private unregister: () => void = () => {};
  private readonly now: () => Date;
  private readonly random: () => number;

  constructor(private readonly options: WebhookWorkerOptions) {
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
  }

  /**
   * Runs on its own from now on: woken by changes (the caller wires the event bus to wake()), by
   * mutations in this process, and by a timer set for the next retry that falls due. Idle, it sends
   * no query but one every idleMs. A worker that is not started runs only when woken (tests).
   */
  start(): void {
    this.started = true;
    this.unregister = registerWebhookWaker(() => this.wake());
    this.wake();
  }

  /** Stops claiming; waits for the attempts in flight (each ends by its timeout at the latest). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unregister();
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await Promise.all([...this.inFlight]);
  }

  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wokenWhileRunning = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = null;
      // A wake that came while the last pass was already choosing its timer would otherwise wait
      // for that timer (up to idleMs): it may be a change event nobody has fanned out yet.
      if (this.wokenWhileRunning) this.wake();
    });
  }

  /** Until nothing is left to do now: for tests that step the clock. Resolves when every attempt has finished. */
  async settle(): Promise<void> {
    do {
      this.wake();
      await this.running;
      await Promise.all([...this.inFlight]);
    } while (this.wokenWhileRunning || this.running);
  }

  get attemptsInFlight(): number {
    return this.inFlight.size;
  }

  private async drain(): Promise<void> {
    let more = true;
    while (more && !this.stopped) {
      this.wokenWhileRunning = false;
      try {
        while ((await fanOutOnce(this.options.db, this.now(), this.options.log)) > 0 && !this.stopped);
        more = await this.claimAndSend();
      } catch (error) {
        // PostgreSQL away or the like: nothing was lost, the rows are as they were; look again soon.
        this.options.log.warn('webhook worker: could not reach the outbox; trying again', { error: error instanceof Error ? error.message : String(error) });
        this.wakeIn(RETRY_AFTER_ERROR_MS);
        return;
      }
      more = more || this.wokenWhileRunning;
    }
    if (this.started && !this.stopped) {
      try {
        const due = await webhookRepository.nextDue(this.options.db);
        const idle = this.options.idleMs ?? IDLE_MS;
        this.wakeIn(due === null ? idle : Math.min(idle, Math.max(10, due.getTime() - this.now().getTime())));
      } catch {
        this.wakeIn(RETRY_AFTER_ERROR_MS);
      }
    }
  }

  private wakeIn(ms: number): void {
    if (!this.started || this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), ms);
    this.timer.unref();
  }

  /** True when it filled every free slot (more may be due). */
  private async claimAndSend(): Promise<boolean> {
    const free = this.options.concurrency - this.inFlight.size;
    if (free <= 0 || this.stopped) return false;
    const now = this.now();
    const leaseUntil = new Date(now.getTime() + this.options.timeoutMs + LEASE_MARGIN_MS);
    const claimed = await webhookRepository.claimDue(this.options.db, now, leaseUntil, free);
    for (const delivery of claimed) {
      const attempt: Promise<void> = this.attempt(delivery).finally(() => {
        this.inFlight.delete(attempt);
        this.wake();
      });
      this.inFlight.add(attempt);
    }
    return claimed.length === free;
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    let outcome: AttemptOutcome;
    try {
      outcome = await sendMessage(this.options.policy, delivery.url, delivery.secret, { id: delivery.messageId, body: delivery.payload }, { timeoutMs: this.options.timeoutMs, now: this.now() });
    } catch (error) {
      outcome = { ok: false, statusCode: null, responseExcerpt: null, error: error instanceof Error ? error.message.slice(0, 300) : String(error) };
    }
    try {
      await this.record(delivery, outcome);
    } catch (error) {
      // The lease runs out and the delivery is attempted again: at least once, never lost.
      this.options.log.warn('webhook worker: could not record an attempt; it will be repeated', { deliveryId: delivery.id, error: error instanceof Error ? error.message : String(error) });
    }
  }

  private async record(delivery: ClaimedDelivery, outcome: AttemptOutcome): Promise<void> {
    const now = this.now();
    if (outcome.ok) {
      await webhookRepository.recordDelivered(this.options.db, delivery.id, outcome, now);
      countWebhookAttempt('delivered');
      observeWebhookDeliveryLag((now.getTime() - delivery.eventAt.getTime()) / 1000);
      return;
    }
    const retry = nextRetry(delivery.attempts, delivery.firstAttemptAt ?? now, now, this.random);
    if (!retry.giveUp) {
      await webhookRepository.recordFailed(this.options.db, delivery.id, outcome, retry.nextAttemptAt);
      countWebhookAttempt('failed');
      return;
    }
    const reason = `deliveries failed for 24 hours (${delivery.attempts} attempts since ${(delivery.firstAttemptAt ?? now).toISOString()}); last: ${outcome.error ?? 'no answer'}`;
    await this.options.db.transaction(async (tx) => {
      await webhookRepository.recordFailed(tx, delivery.id, outcome, null);
      await webhookRepository.setEnabled(tx, delivery.endpointId, false, reason.slice(0, 1000), now);
    });
    countWebhookAttempt('given_up');
    this.options.log.warn('webhook endpoint disabled after a day of failed deliveries', { endpointId: delivery.endpointId, deliveryId: delivery.id, reason });
  }
}
