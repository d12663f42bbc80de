import { createHash } from 'node:crypto';
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, RLWrapperTimeouts } from 'rate-limiter-flexible';
import { rateLimitedNetwork } from './client-address';

/** The table the counts live in, made by a migration (migrations/1769200000000-CreateRateLimit.ts). */
export const RATE_LIMIT_TABLE = 'rate_limit';

export interface RateLimitSettings {
  /** Sustained requests per minute per caller (a token; the public: a client address). */
  perMinute: number;
  /** How many requests a caller may send at once. */
  burst: number;
  /** Failed authentications per minute per client address. */
  failedAuthPerMinute: number;
  /** Estimated query cost (src/platform/query-cost.ts) a token's operations may add up to per minute. */
  costPerMinute: number;
  /** The same per client address for the public. */
  costPerMinutePublic: number;
}

/** Where the counts are kept: pg's `query({ text, values })` (a pg Pool, on a server or on the embedded engine). */
export interface CountStore {
  query(statement: { text: string; values?: unknown[] }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/** A refusal: the caller may try again after `retryAfterSeconds`. */
export class RateLimited extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many requests: try again in ${retryAfterSeconds} s.`);
    this.name = 'RateLimited';
  }
}

/**
 * How long the store may take before this instance counts on its own (in memory) instead: a
 * database that hangs must not hang every request at the door.
 */
const STORE_TIMEOUT_MS = 500;

/** How many credentials that authenticated lately each instance remembers, and for how long. */
const RECENT_CREDENTIALS = 10_000;
const RECENT_CREDENTIAL_MS = 15 * 60_000;

/**
 * Rate limits shared by every instance: the counts are rows of one PostgreSQL table, kept by
 * rate-limiter-flexible (fixed windows, one upsert per counted request). Three budgets:
 *
 * - **Failed authentications per client address** (`failedAuthPerMinute` a minute), checked before
 *   a token is looked up: an address that used its budget is refused with 429 without a lookup.
 * - **Requests per caller**: a token, or for the public its client address. The budget is `burst`
 *   requests per window of `burst / perMinute` minutes (600 a minute with a burst of 200: 200 per
 *   20 s), so the sustained rate is `perMinute` and no more than `burst` arrive at once.
 * - **Work per caller**: the estimated cost of its admitted operations, `costPerMinute` a minute for a
 *   token and `costPerMinutePublic` for the public per address (`charge`, after the admission).
 *
 * A key that used its budget is also refused from memory until its window ends, so a flood costs no
 * SQL after its first refusal on each instance. When PostgreSQL does not answer within
 * STORE_TIMEOUT_MS or fails, each instance counts in its own memory until it does again.
 */
export class RateLimits {
  private readonly perCaller: Limiter;
  private readonly failedAuth: Limiter;
  private readonly work: Limiter;
  private readonly publicWork: Limiter;
  /** Addresses refused for failed authentications, until when (ms): refused again without SQL. */
  private readonly failedAuthRefusedUntil = new Map<string, number>();
  /**
   * Credentials (their hashes) that authenticated here lately, until when (ms): they are still
   * looked up while their address is refused, so one client guessing tokens behind a shared address
   * (an office, a shared-service organisation's proxy) does not lock out the dashboards beside it.
   */
  private readonly recentlyAuthenticated = new Map<string, number>();

  constructor(settings: RateLimitSettings, store: CountStore, private readonly now: () => number = Date.now) {
    const windowSeconds = Math.max(1, Math.ceil((settings.burst * 60) / settings.perMinute));
    this.perCaller = limiter(store, { keyPrefix: 'caller', points: settings.burst, duration: windowSeconds, clearsExpired: true });
    this.failedAuth = limiter(store, { keyPrefix: 'failed-auth', points: settings.failedAuthPerMinute, duration: 60, clearsExpired: false });
    this.work = limiter(store, { keyPrefix: 'work', points: settings.costPerMinute, duration: 60, clearsExpired: false });
    this.publicWork = limiter(store, { keyPrefix: 'public-work', points: settings.costPerMinutePublic, duration: 60, clearsExpired: false });
  }

  /**
   * The work an admitted operation asks for: its estimated cost, counted against the caller's cost
   * per minute (a token's, or the public's per client address), so that a caller within its request
   * rate cannot ask for the heaviest questions back to back. Throws RateLimited once over.
   */
  async charge(caller: { tokenId: string } | string, cost: number): Promise<void> {
    const points = Math.max(1, Math.ceil(cost));
    if (typeof caller === 'string') await take(this.publicWork, addressKey(caller), points);
    else await take(this.work, shortKey(caller.tokenId), points);
  }

  /**
   * Before a presented token is looked up: throws RateLimited when its address has used up its
   * failed authentications (as far as this instance has seen; no SQL).
   */
  private checkFailedAuthentications(clientAddress: string): void {
    const key = addressKey(clientAddress);
    const until = this.failedAuthRefusedUntil.get(key);
    if (until === undefined) return;
    const waitMs = until - this.now();
    if (waitMs > 0) throw new RateLimited(secondsOf(waitMs));
    this.failedAuthRefusedUntil.delete(key);
  }

  /** A token that did not authenticate: counts against its address; throws RateLimited once over. */
  private async failedAuthentication(clientAddress: string): Promise<void> {
    const key = addressKey(clientAddress);
    try {
      await take(this.failedAuth, key);
    } catch (refusal) {
      if (refusal instanceof RateLimited) {
        this.forgetExpiredRefusals();
        this.failedAuthRefusedUntil.set(key, this.now() + refusal.retryAfterSeconds * 1000);
      }
      throw refusal;
    }
  }

  /**
   * Who is asking, with the limits around authentication: an address that used up its failed
   * authentications is refused before its token is looked up (unless that credential authenticated
   * on this instance lately); a refused token (`isRefusal`) counts as a failure; then, for a request (not for opening a WebSocket connection, whose subscriptions
   * count one by one), the caller's own budget (its token's, or for the public its address's).
   */
  async identify<V>(
    request: { clientAddress: string; credential: string | undefined; isRequest: boolean },
    authenticate: () => Promise<V>,
    how: { isRefusal: (error: unknown) => boolean; tokenIdOf: (viewer: V) => string | null },
  ): Promise<V> {
    const credential = request.credential?.trim() ? createHash('sha256').update(request.credential).digest('base64url') : null;
    if (credential && !this.knownGood(credential)) this.checkFailedAuthentications(request.clientAddress);
    let viewer: V;
    try {
      viewer = await authenticate();
    } catch (error) {
      if (credential && how.isRefusal(error)) {
        this.recentlyAuthenticated.delete(credential);
        await this.failedAuthentication(request.clientAddress);
      }
      throw error;
    }
    if (credential) this.rememberGood(credential);
    if (request.isRequest) {
      const tokenId = how.tokenIdOf(viewer);
      await this.request(tokenId === null ? request.clientAddress : { tokenId });
    }
    return viewer;
  }

  /** One request (or subscription) of a caller; throws RateLimited once over. */
  async request(caller: { tokenId: string } | string): Promise<void> {
    await take(this.perCaller, typeof caller === 'string' ? `public:${addressKey(caller)}` : `token:${shortKey(caller.tokenId)}`);
  }

  private knownGood(credential: string): boolean {
    return (this.recentlyAuthenticated.get(credential) ?? 0) > this.now();
  }

  private rememberGood(credential: string): void {
    if (this.recentlyAuthenticated.size >= RECENT_CREDENTIALS) {
      const now = this.now();
      for (const [key, until] of this.recentlyAuthenticated) if (until <= now) this.recentlyAuthenticated.delete(key);
      // Still full: the oldest entries go (a Map iterates in insertion order).
      for (const key of this.recentlyAuthenticated.keys()) {
        if (this.recentlyAuthenticated.size < RECENT_CREDENTIALS) break;
        this.recentlyAuthenticated.delete(key);
      }
    }
    this.recentlyAuthenticated.delete(credential);
    this.recentlyAuthenticated.set(credential, this.now() + RECENT_CREDENTIAL_MS);
  }

  /** The map holds only addresses refused within the last minute or so: an attack's addresses, not everyone's. */
  private forgetExpiredRefusals(): void {
    if (this.failedAuthRefusedUntil.size < 1000) return;
    const now = this.now();
    for (const [key, until] of this.failedAuthRefusedUntil) if (until <= now) this.failedAuthRefusedUntil.delete(key);
  }
}

/** The store's limiter with a timeout, falling back to this instance's memory. */
type Limiter = RLWrapperTimeouts;

function limiter(store: CountStore, options: { keyPrefix: string; points: number; duration: number; clearsExpired: boolean }): Limiter {
  const { keyPrefix, points, duration } = options;
  const memory = new RateLimiterMemory({ keyPrefix, points, duration });
  const shared = new RateLimiterPostgres({
    // 'pool': pg's Pool interface. The statements go unnamed (see `unnamed`).
    storeClient: unnamed(store),
    storeType: 'pool',
    tableName: RATE_LIMIT_TABLE,
    // The table comes from a migration; the library must not create it at run time.
    tableCreated: true,
    keyPrefix,
    points,
    duration,
    inMemoryBlockOnConsumed: points,
    insuranceLimiter: memory,
    // One limiter deletes the expired rows of the whole table (every five minutes).
    clearExpiredByTimeout: options.clearsExpired,
  });
  return new RLWrapperTimeouts({ limiter: shared, insuranceLimiter: memory, timeoutMs: STORE_TIMEOUT_MS });
}

/**
 * rate-limiter-flexible names its prepared statements. The embedded engine serves every connection
 * from one session, so a connection opened later would find the name taken ("prepared statement
 * already exists"); unnamed, each statement is parsed again, which on this one-row upsert costs nothing worth keeping.
 */
function unnamed(store: CountStore): CountStore {
  return { query: (statement) => store.query({ text: statement.text, values: statement.values }) };
}

async function take(limiter: Limiter, key: string, points = 1): Promise<void> {
  try {
    await limiter.consume(key, points);
  } catch (refusal) {
    if (refusal instanceof RateLimiterRes) throw new RateLimited(secondsOf(refusal.msBeforeNext));
    throw refusal;
  }
}

function secondsOf(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function addressKey(clientAddress: string): string {
  return shortKey(rateLimitedNetwork(clientAddress));
}

/** Keys are at most 255 characters in the table; a JWT's subject may be longer. */
function shortKey(text: string): string {
  return text.length <= 200 ? text : createHash('sha256').update(text).digest('base64url');
}

/** The GraphQL error of a refusal over HTTP: 429, RATE_LIMITED, and Retry-After in seconds. */
export function rateLimitedError(refusal: RateLimited): GraphQLError {
  return new GraphQLError(refusal.message, {
    extensions: {
      code: 'RATE_LIMITED',
      http: { status: 429, headers: new HeaderMap([['retry-after', String(refusal.retryAfterSeconds)]]) },
    },
  });
}
