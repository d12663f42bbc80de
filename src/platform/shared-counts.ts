/** The table the counts live in, made by a migration (migrations/1769210000000-CreateRateLimit.ts). */
export const RATE_LIMIT_TABLE = 'rate_limit';

/** Where the counts are shared: pg's `query({ text, values })` (a pg Pool, on a server or on the embedded engine). */
export interface CountStore {
  query(statement: { text: string; values?: unknown[] }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

/** How long after a count this instance shares what it counted (one statement for every key counted meanwhile). */
export const SHARE_AFTER_MS = 200;

/** How often each instance deletes the rows of windows that ended (with its first successful share after that). */
const CLEAR_EVERY_MS = 5 * 60_000;

/** How long closing waits for the last counts to be shared. */
const CLOSE_WAIT_MS = 2_000;

/** How often keys whose window ended are forgotten here. */
const FORGET_EVERY_MS = 10_000;

/** How many keys one instance counts at most; past that, keys with nothing to share go first, oldest first. */
const MOST_KEYS = 200_000;

/** One key's count as this instance knows it, in the window that ends at `windowEnd` (epoch ms). */
interface Count {
  /** Points in the table when this instance last shared (its own included). */
  shared: number;
  /** Points being written by the statement in flight. */
  sending: number;
  /** Points counted here and not yet shared. */
  pending: number;
  windowEnd: number;
  windowMs: number;
}

/**
 * Counts in fixed windows per key, kept in this instance's memory and shared with every other
 * instance through one PostgreSQL table: the points counted here are added to the key's row
 * SHARE_AFTER_MS after the first of them, for all keys counted meanwhile in one statement, which
 * returns each key's total across instances. `take` decides in memory against what this instance
 * knows (the total at its last share plus what it counted since), so counting costs a request no
 * SQL; `shareNow` shares at once, for a caller that must be decided on every instance's count
 * (src/platform/rate-limit.ts says when). When the table cannot be written the points stay pending
 * and each instance goes on counting in its own memory; they are shared when it can again.
 */
export class SharedCounts {
  private readonly counts = new Map<string, Count>();
  /** The keys with pending points, so a share does not look through every key of the window. */
  private readonly pendingKeys = new Set<string>();
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private lastClear: number;
  private lastForget: number;

  constructor(private readonly store: CountStore, private readonly now: () => number = Date.now) {
    this.lastClear = now();
    this.lastForget = now();
  }

  /**
   * Adds `points` to `key` unless that would take it over `budget` in its window. Returns null when
   * counted, or when refused, the milliseconds until the window ends.
   */
  take(key: string, points: number, budget: number, windowMs: number): number | null {
    const now = this.now();
    let count = this.counts.get(key);
    if (count === undefined || count.windowEnd <= now) {
      if (count === undefined && this.counts.size >= MOST_KEYS) this.makeRoom();
      count = { shared: 0, sending: count?.sending ?? 0, pending: 0, windowEnd: now + windowMs, windowMs };
      this.counts.set(key, count);
    }
    if (count.shared + count.sending + count.pending + points > budget) return count.windowEnd - now;
    count.pending += points;
    this.pendingKeys.add(key);
    this.shareSoon();
    return null;
  }

  /** The points this instance knows for `key` in its current window (tests, and the failed-authentication check). */
  used(key: string): number {
    const count = this.counts.get(key);
    return count === undefined || count.windowEnd <= this.now() ? 0 : count.shared + count.sending + count.pending;
  }

  /** Milliseconds until `key`'s window ends, as this instance knows it. */
  msLeft(key: string): number {
    const count = this.counts.get(key);
    return count === undefined ? 0 : Math.max(0, count.windowEnd - this.now());
  }

  /**
   * Shares every pending count now and waits for the totals (a statement already in flight first),
   * at most `waitAtMostMs`: a database that does not answer leaves the count to this instance.
   */
  async shareNow(waitAtMostMs: number): Promise<void> {
    let timeout: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timeout = setTimeout(resolve, waitAtMostMs);
    });
    const shared = (async () => {
      if (this.inFlight) await this.inFlight;
      await this.share();
    })();
    await Promise.race([shared, waited]);
    clearTimeout(timeout);
  }

  /** Stops the timer; what is pending is shared first. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.shareNow(CLOSE_WAIT_MS);
  }

  private shareSoon(): void {
    if (this.timer !== null || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.share();
    }, SHARE_AFTER_MS);
    this.timer.unref();
  }

  /** One statement for every key with pending points; a second call while one is in flight waits for the next turn. */
  private share(): Promise<void> {
    if (this.inFlight) {
      this.shareSoon();
      return this.inFlight;
    }
    const keys: string[] = [];
    const points: number[] = [];
    const windows: number[] = [];
    for (const key of this.pendingKeys) {
      const count = this.counts.get(key);
      if (!count || count.pending === 0) continue;
      keys.push(key);
      points.push(count.pending);
      windows.push(count.windowMs);
      count.sending = count.pending;
      count.pending = 0;
    }
    this.pendingKeys.clear();
    if (keys.length === 0) return Promise.resolve();
    this.inFlight = this.write(keys, points, windows).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async write(keys: string[], points: number[], windows: number[]): Promise<void> {
    const now = this.now();
    try {
      const result = await this.store.query({
        text: `INSERT INTO ${RATE_LIMIT_TABLE} (key, points, expire)
               SELECT key, points, $4::bigint + window_ms FROM unnest($1::text[], $2::int[], $3::bigint[]) AS t(key, points, window_ms)
               ON CONFLICT (key) DO UPDATE SET
                 points = CASE WHEN ${RATE_LIMIT_TABLE}.expire <= $4 THEN excluded.points ELSE ${RATE_LIMIT_TABLE}.points + excluded.points END,
                 expire = CASE WHEN ${RATE_LIMIT_TABLE}.expire <= $4 THEN excluded.expire ELSE ${RATE_LIMIT_TABLE}.expire END
               RETURNING key, points, expire::float8 AS expire`,
        values: [keys, points, windows, now],
      });
      for (const row of result.rows as { key: string; points: number; expire: number }[]) {
        const count = this.counts.get(row.key);
        if (!count) continue;
        count.sending = 0;
        // The shared window: every instance counts to the same end.
        if (row.expire > this.now()) {
          count.shared = row.points;
          count.windowEnd = row.expire;
        }
      }
    } catch {
      // Not shared: counted here all the same, and shared with the next statement.
      for (const key of keys) {
        const count = this.counts.get(key);
        if (count) {
          count.pending += count.sending;
          count.sending = 0;
          this.pendingKeys.add(key);
        }
      }
      this.shareSoon();
      return;
    }
    if (now - this.lastForget >= FORGET_EVERY_MS) {
      this.lastForget = now;
      this.forgetEnded();
    }
    if (now - this.lastClear >= CLEAR_EVERY_MS) {
      this.lastClear = now;
      await this.store.query({ text: `DELETE FROM ${RATE_LIMIT_TABLE} WHERE expire <= $1`, values: [now] }).catch(() => {});
    }
  }

  /** Keys whose window ended and that have nothing to share are forgotten, so the map holds the current windows' callers only. */
  private forgetEnded(): void {
    const now = this.now();
    for (const [key, count] of this.counts) {
      if (count.windowEnd <= now && count.pending === 0 && count.sending === 0) this.counts.delete(key);
    }
  }

  /**
   * Full (a flood from very many addresses): ended windows go, then the oldest keys with nothing to
   * share, down to nine tenths, so that this runs once per many new keys. A key forgotten here
   * starts again from what the table says at its next share.
   */
  private makeRoom(): void {
    this.forgetEnded();
    for (const [key, count] of this.counts) {
      if (this.counts.size <= MOST_KEYS * 0.9) break;
      if (count.pending === 0 && count.sending === 0) this.counts.delete(key);
    }
  }
}
