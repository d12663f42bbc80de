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
/** How many refused keys each instance remembers (an attack's addresses, until their windows end). */
const REFUSALS_KEPT = 100_000;

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
  /** Keys refused lately, until when (ms): refused again at the door, without SQL. */
  private readonly refused: ExpiringMap<number>;
  /**
   * Credentials (their hashes) that authenticated here lately, with their token: they are still
   * looked up while their address is refused for failed authentications, so one client guessing
   * tokens behind a shared address (an office, a shared-service organisation's proxy) does not
   * lock out the dashboards beside it; and their own refusals are known at the door.
   */
  private readonly recentlyAuthenticated: ExpiringMap<string>;

  constructor(settings: RateLimitSettings, store: CountStore, private readonly now: () => number = Date.now) {
    const windowSeconds = Math.max(1, Math.ceil((settings.burst * 60) / settings.perMinute));
    this.perCaller = limiter(store, { keyPrefix: 'caller', points: settings.burst, duration: windowSeconds, clearsExpired: true });
    this.failedAuth = limiter(store, { keyPrefix: 'failed-auth', points: settings.failedAuthPerMinute, duration: 60, clearsExpired: false });
    this.work = limiter(store, { keyPrefix: 'work', points: settings.costPerMinute, duration: 60, clearsExpired: false });
    this.publicWork = limiter(store, { keyPrefix: 'public-work', points: settings.costPerMinutePublic, duration: 60, clearsExpired: false });
    this.refused = new ExpiringMap(REFUSALS_KEPT, now);
    this.recentlyAuthenticated = new ExpiringMap(RECENT_CREDENTIALS, now);
  }

  /**
   * At the door, before the request's body is read: a caller this instance refused lately (its
   * requests or its work for this window, or for a credential nobody has seen succeed, its
   * address's failed authentications) is refused again at once. A flood of refused requests then
   * costs the server little more than reading their headers. No SQL; null when it may go on.
   */
  atTheDoor(clientAddress: string, authorization: string | undefined): RateLimited | null {
    const credential = credentialKey(authorization);
    const address = addressKey(clientAddress);
    let keys = [`caller:public:${address}`, `public-work:${address}`];
    if (credential !== null) {
      const tokenId = this.recentlyAuthenticated.get(credential);
      keys = tokenId === undefined ? [`failed-auth:${address}`] : [`caller:token:${shortKey(tokenId)}`, `work:${shortKey(tokenId)}`];
    }
    for (const key of keys) {
      const until = this.refused.get(key);
      if (until !== undefined && until > this.now()) return new RateLimited(secondsOf(until - this.now()));
    }
    return null;
  }

  /**
   * Who is asking, with the limits around authentication: an address that used up its failed
   * authentications is refused before its token is looked up (unless that credential authenticated
   * on this instance lately); a refused token (`isRefusal`) counts as a failure; then, for a request
   * (not for opening a WebSocket connection, whose subscriptions count one by one), the caller's own
   * budget (its token's, or for the public its address's).
   */
  async identify<V>(
    request: { clientAddress: string; credential: string | undefined; isRequest: boolean },
    authenticate: () => Promise<V>,
    how: { isRefusal: (error: unknown) => boolean; tokenIdOf: (viewer: V) => string | null },
  ): Promise<V> {
    const credential = credentialKey(request.credential);
    if (credential !== null && this.recentlyAuthenticated.get(credential) === undefined) {
      const refusal = this.atTheDoor(request.clientAddress, request.credential);
      if (refusal) throw refusal;
    }
    let viewer: V;
    try {
      viewer = await authenticate();
    } catch (error) {
      if (credential !== null && how.isRefusal(error)) {
        this.recentlyAuthenticated.delete(credential);
        await this.take(this.failedAuth, 'failed-auth', addressKey(request.clientAddress));
      }
      throw error;
    }
    const tokenId = how.tokenIdOf(viewer);
    if (credential !== null && tokenId !== null) this.recentlyAuthenticated.set(credential, tokenId, RECENT_CREDENTIAL_MS);
    if (request.isRequest) await this.request(tokenId === null ? request.clientAddress : { tokenId });
    return viewer;
  }

  /** One request (or subscription) of a caller; throws RateLimited once over. */
  async request(caller: { tokenId: string } | string): Promise<void> {
    await this.take(this.perCaller, 'caller', typeof caller === 'string' ? `public:${addressKey(caller)}` : `token:${shortKey(caller.tokenId)}`);
  }

  /**
   * The work an admitted operation asks for: its estimated cost, counted against the caller's cost
   * per minute (a token's, or the public's per client address), so that a caller within its request
   * rate cannot ask for the heaviest questions back to back. Throws RateLimited once over.
   */
  async charge(caller: { tokenId: string } | string, cost: number): Promise<void> {
    const points = Math.max(1, Math.ceil(cost));
    if (typeof caller === 'string') await this.take(this.publicWork, 'public-work', addressKey(caller), points);
    else await this.take(this.work, 'work', shortKey(caller.tokenId), points);
  }

  private async take(limiter: Limiter, prefix: string, key: string, points = 1): Promise<void> {
    try {
      await limiter.consume(key, points);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      const refused = new RateLimited(secondsOf(refusal.msBeforeNext));
      this.refused.set(`${prefix}:${key}`, this.now() + refused.retryAfterSeconds * 1000, refused.retryAfterSeconds * 1000);
      throw refused;
    }
  }
}

/**
 * A bounded map whose entries expire: refusals and credentials of the last minutes, not of everyone
 * who ever called. When full, expired entries go first, then the oldest (a Map iterates in insertion order).
 */
class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(private readonly capacity: number, private readonly now: () => number) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until > this.now()) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V, forMs: number): void {
    if (this.entries.size >= this.capacity) {
      const now = this.now();
      for (const [k, entry] of this.entries) if (entry.until <= now) this.entries.delete(k);
      for (const k of this.entries.keys()) {
        if (this.entries.size < this.capacity) break;
        this.entries.delete(k);
      }
    }
    this.entries.delete(key);
    this.entries.set(key, { value, until: this.now() + forMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
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

/** A credential as this instance remembers it: its hash, never the token. Null when none was presented. */
function credentialKey(authorization: string | undefined): string | null {
  return authorization?.trim() ? createHash('sha256').update(authorization).digest('base64url') : null;
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
