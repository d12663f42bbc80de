import { createHash } from 'node:crypto';
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { rateLimitedNetwork } from './client-address';
import { CountStore, SharedCounts } from './shared-counts';

export type { CountStore } from './shared-counts';

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

/** A refusal: the caller may try again after `retryAfterSeconds`. */
export class RateLimited extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many requests: try again in ${retryAfterSeconds} s.`);
    this.name = 'RateLimited';
  }
}

/**
 * How long a count that is shared before it is decided (a failed authentication, a caller in the
 * second half of a budget) waits for the shared total before this instance decides on its own
 * count: a database that hangs must not hang every request at the door.
 */
const STORE_TIMEOUT_MS = 500;

/** How many credentials that authenticated lately each instance remembers, and for how long. */
const RECENT_CREDENTIALS = 10_000;
const RECENT_CREDENTIAL_MS = 15 * 60_000;
/** How many refused keys each instance remembers (an attack's addresses, until their windows end). */
const REFUSALS_KEPT = 100_000;

/** A budget: `points` per fixed window of `windowMs`, counted per key under `prefix`. */
interface Budget {
  prefix: string;
  points: number;
  windowMs: number;
  /**
   * From how many points used (as this instance knows) each count is shared before it is decided:
   * half the budget, so a caller well within it costs no SQL and one near its end is decided on the
   * count of every instance; for failed authentications (rare) from the first.
   */
  askFrom: number;
}

function budget(prefix: string, points: number, windowMs: number, askFrom = points / 2): Budget {
  return { prefix, points, windowMs, askFrom };
}

/**
 * Rate limits shared by every instance: each instance counts in memory, and the counts meet in one
 * PostgreSQL table a moment later (src/platform/shared-counts.ts: fixed windows, one statement per
 * instance for everything it counted in the last SHARE_AFTER_MS, none per request). Three budgets:
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
 * SQL after its first refusal on each instance. In the second half of a budget (as an instance knows
 * it), and for failed authentications from the first, a count is shared before it is decided, so a
 * caller spreading over instances gets its budget once; an instance that has not shared lately may
 * admit up to half a budget on what it knew, for at most SHARE_AFTER_MS. When PostgreSQL does not
 * answer within STORE_TIMEOUT_MS or fails, each instance decides on its own count and shares when it
 * can again.
 */
export class RateLimits {
  private readonly counts: SharedCounts;
  private readonly perCaller: Budget;
  private readonly failedAuth: Budget;
  private readonly work: Budget;
  private readonly publicWork: Budget;
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
    this.counts = new SharedCounts(store, now);
    this.perCaller = budget('caller', settings.burst, windowSeconds * 1000);
    this.failedAuth = budget('failed-auth', settings.failedAuthPerMinute, 60_000, 0);
    this.work = budget('work', settings.costPerMinute, 60_000);
    this.publicWork = budget('public-work', settings.costPerMinutePublic, 60_000);
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
        await this.take(this.failedAuth, addressKey(request.clientAddress));
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
    await this.take(this.perCaller, typeof caller === 'string' ? `public:${addressKey(caller)}` : `token:${shortKey(caller.tokenId)}`);
  }

  /**
   * The work an admitted operation asks for: its estimated cost, counted against the caller's cost
   * per minute (a token's, or the public's per client address), so that a caller within its request
   * rate cannot ask for the heaviest questions back to back. Throws RateLimited once over.
   */
  async charge(caller: { tokenId: string } | string, cost: number): Promise<void> {
    const points = Math.max(1, Math.ceil(cost));
    if (typeof caller === 'string') await this.take(this.publicWork, addressKey(caller), points);
    else await this.take(this.work, shortKey(caller.tokenId), points);
  }

  /** Shares what this instance counted and stops counting (the server stops). */
  close(): Promise<void> {
    return this.counts.close();
  }

  /** Counts `points` for `key` against `budget`; throws RateLimited, and remembers the refusal for the door, once over. */
  private async take(budget: Budget, key: string, points = 1): Promise<void> {
    const counted = `${budget.prefix}:${key}`;
    const ask = this.counts.used(counted) + points > budget.askFrom;
    let refusedForMs = this.counts.take(counted, points, budget.points, budget.windowMs);
    if (refusedForMs === null && ask) {
      await this.counts.shareNow(STORE_TIMEOUT_MS);
      if (this.counts.used(counted) > budget.points) refusedForMs = this.counts.msLeft(counted);
    }
    if (refusedForMs === null) return;
    const refused = new RateLimited(secondsOf(refusedForMs));
    this.refused.set(counted, this.now() + refused.retryAfterSeconds * 1000, refused.retryAfterSeconds * 1000);
    throw refused;
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
