import { Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface LiveResult {
  data?: any;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
  /** When this client received it (performance.now()). */
  at: number;
}

/** One subscription of a graphql-ws client, its results kept in arrival order. */
export class LiveSubscription {
  readonly results: LiveResult[] = [];
  /** A protocol error or a close event, if the subscription ended with one. */
  failure: unknown = null;
  completed = false;
  private read = 0;
  private wake: (() => void) | null = null;
  private readonly unsubscribe: () => void;

  constructor(client: Client, query: string, variables: Record<string, unknown> = {}) {
    this.unsubscribe = client.subscribe({ query, variables }, {
      next: (result) => this.arrive(() => this.results.push({ ...(result as Omit<LiveResult, 'at'>), at: performance.now() })),
      error: (error) => this.arrive(() => {
        this.failure = error;
      }),
      complete: () => this.arrive(() => {
        this.completed = true;
      }),
    });
  }

  /** The next result not yet read; fails after `timeoutMs`. */
  async next(timeoutMs = 2000): Promise<LiveResult> {
    const deadline = Date.now() + timeoutMs;
    while (this.read >= this.results.length) {
      if (this.failure !== null) throw new Error(`subscription failed: ${describe(this.failure)}`);
      if (this.completed) throw new Error('subscription completed without a further result');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no result within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.results[this.read++];
  }

  /** The next result's data for `field`, failing on GraphQL errors. */
  async nextData(field: string, timeoutMs = 2000): Promise<any> {
    const result = await this.next(timeoutMs);
    if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors)}`);
    return { ...result.data[field], at: result.at };
  }

  /** Resolves when the subscription has ended (an error result, a failure or a completion). */
  async ended(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.completed && this.failure === null) {
      if (Date.now() > deadline) throw new Error(`subscription still open after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  get unread(): number {
    return this.results.length - this.read;
  }

  close(): void {
    this.unsubscribe();
  }

  private arrive(record: () => void): void {
    record();
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

function describe(failure: unknown): string {
  if (failure && typeof failure === 'object' && 'code' in failure) {
    return `closed ${(failure as { code: number }).code} ${(failure as { reason?: string }).reason ?? ''}`;
  }
  return JSON.stringify(failure);
}

/** A graphql-ws client for an http:// GraphQL URL, with a bearer token or none (the public). */
export function liveClient(httpUrl: string, token?: string): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

/** Polls until `condition` holds; fails after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
