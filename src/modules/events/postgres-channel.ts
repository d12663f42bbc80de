import { Client } from 'pg';
import type { Log } from '../../log';
import { EVENTS_CHANNEL } from './change-event.repository';
import type { EventChannel } from './event-bus';

const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 30_000;

/**
 * LISTEN on one dedicated connection per server instance (not one from the pool: a pooled
 * connection goes back to the pool and stops listening). PostgreSQL delivers a NOTIFY to every
 * listening instance when the writer commits, whichever instance took the write.
 *
 * When the connection drops, notifications sent meanwhile are lost; the channel reconnects with
 * backoff and wakes the bus once, which then catches up from the last `seq` it saw.
 */
export class PostgresChannel implements EventChannel {
  private client: Client | null = null;
  private wake: (() => void) | null = null;
  private stopped = false;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly url: string, private readonly log: Log) {}

  async start(wake: () => void): Promise<void> {
    this.wake = wake;
    // The first connection must work: a server that cannot listen should not start.
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.url, application_name: 'ketenbeeld-events', keepAlive: true });
    client.on('notification', (message) => {
      if (message.channel === EVENTS_CHANNEL) this.wake?.();
    });
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, null));
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.retryMs = FIRST_RETRY_MS;
  }

  private lost(client: Client, error: Error | null): void {
    if (this.stopped || this.client !== client) return;
    this.client = null;
    client.end().catch(() => {});
    this.log.warn('lost the event listener connection; reconnecting', { error: error?.message ?? 'connection ended' });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.retryTimer = setTimeout(async () => {
      this.retryTimer = null;
      if (this.stopped) return;
      try {
        await this.connect();
        this.log.info('event listener reconnected');
        // Whatever was committed while nobody listened.
        this.wake?.();
      } catch (error) {
        this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
        this.log.warn('event listener reconnect failed', { error: error instanceof Error ? error.message : String(error), retryInMs: this.retryMs });
        this.scheduleReconnect();
      }
    }, this.retryMs);
  }
}
