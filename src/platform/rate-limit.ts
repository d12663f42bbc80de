import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { rateLimitKey, Viewer } from '../modules/access/viewer';
import { countRateLimitRefusal } from './metrics';

export interface RateLimitOptions {
  /** Sustained rate: requests per minute per caller. */
  perMinute: number;
  /** How many requests a caller that has been quiet may send at once. */
  burst: number;
  /** The clock, in milliseconds; tests pass their own. */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * A token bucket per caller, in this process's memory. Every caller starts with `burst` tokens;
 * a request takes one; tokens come back at `perMinute` per minute, up to `burst`.
 *
 * Per instance: several instances behind a load balancer each count on their own, so a caller
 * may get up to (instances × limit). Good enough to stop one runaway client; a shared count would
 * need PostgreSQL or another store.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly refillPerMs: number;
  private readonly now: () => number;
  private lastSweep: number;

  constructor(private readonly options: RateLimitOptions) {
    this.refillPerMs = options.perMinute / 60_000;
    this.now = options.now ?? Date.now;
    this.lastSweep = this.now();
  }

  /** Takes a token for `key`. Returns 0 when the request may go ahead, else the seconds to wait. */
  take(key: string): number {
    const now = this.now();
    this.sweep(now);
    const bucket = this.buckets.get(key) ?? { tokens: this.options.burst, updatedAt: now };
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + (now - bucket.updatedAt) * this.refillPerMs);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.refillPerMs / 1000));
  }

  /** How many callers are being tracked (for tests of the sweep). */
  get size(): number {
    return this.buckets.size;
  }

  /**
   * A bucket that has filled up again is the same as no bucket, so it is dropped; otherwise the map
   * would keep one entry for every address that ever called. Once a minute at most, so a request
   * costs O(1) on average.
   */
  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.updatedAt) * this.refillPerMs >= this.options.burst) this.buckets.delete(key);
    }
  }
}

/**
 * Wraps the function that builds a request's context (which authenticates the caller) so that a
 * caller who has used up its bucket (per token; the public: per address) is refused right there:
 * HTTP 429, RATE_LIMITED, Retry-After in seconds, before its query is parsed or validated.
 *
 * Not an Apollo plugin: Apollo 5 turns an error thrown from a plugin's requestDidStart into a 500
 * ("Unexpected error processing request"), while an error from the context function keeps its
 * code and HTTP status.
 */
export function rateLimited<TArgs, TContext extends { viewer: Viewer; clientAddress: string }>(
  limiter: RateLimiter,
  createContext: (args: TArgs) => Promise<TContext>,
): (args: TArgs) => Promise<TContext> {
  return async (args) => {
    const context = await createContext(args);
    const waitSeconds = limiter.take(rateLimitKey(context.viewer, context.clientAddress));
    if (waitSeconds > 0) {
      countRateLimitRefusal('http');
      throw new GraphQLError(`Too many requests: try again in ${waitSeconds} s.`, {
        extensions: {
          code: 'RATE_LIMITED',
          http: { status: 429, headers: new HeaderMap([['retry-after', String(waitSeconds)]]) },
        },
      });
    }
    return context;
  };
}
