import type { EntityManager } from 'typeorm';

/** One statement: its SQL and its parameters. */
export type Statement = [sql: string, parameters: unknown[]];

/** `items` in consecutive parts of at most `size`, for one statement each. */
export function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/**
 * Runs one statement per part on `db`'s connection, one after another, in order, building each one's
 * parameters while PostgreSQL runs the one before it, and handing each one's rows to `handle` while
 * PostgreSQL runs the one after it. For a write that sends many statements of one kind (the rows
 * above a hub, read, written and their change events): building the parameters and reading the rows
 * take the server about as long as PostgreSQL takes to run them, and this way the two overlap.
 *
 * One statement at a time is under way on the connection (`pg` deprecates queueing a query behind
 * another): the next is sent as soon as the one before has answered. When one fails, none after it
 * is sent and its failure is thrown.
 */
export async function runPipelined<T>(
  db: EntityManager, parts: readonly T[], statement: (part: T, i: number) => Statement, handle?: (rows: unknown[], i: number) => void | Promise<void>,
): Promise<void> {
  let running: Promise<unknown[]> | null = null;
  for (let i = 0; i < parts.length; i++) {
    const [sql, parameters] = statement(parts[i], i);
    const answered: unknown[] | null = running ? await running : null;
    running = db.query(sql, parameters) as Promise<unknown[]>;
    // Awaited in the next turn of the loop or below; should handling the rows before it fail first,
    // its own failure must not count as unhandled.
    running.catch(() => undefined);
    if (answered && handle) await handle(answered, i - 1);
  }
  if (running) {
    const answered = await running;
    if (handle) await handle(answered, parts.length - 1);
  }
}

/** Items handed over one at a time and sent in parts (partsAsTheyCome). */
export interface PartsAsTheyCome<T> {
  /** Takes an item; when it fills a part, waits for the statement under way (if any) and sends the part. */
  add(item: T): Promise<void>;
  /** Sends what is left and waits for every statement: the items are written once it returns. */
  finish(): Promise<void>;
  /** Waits for the statement under way, whatever its outcome, and sends nothing more: for a caller that gave up. */
  abandon(): Promise<void>;
}

/**
 * Like runPipelined, for items that become ready one at a time: a part is sent as soon as it is
 * full, while the caller goes on preparing the next items (a write above a hub judges its rows while
 * PostgreSQL stores those judged before). One statement at a time is under way on the connection,
 * and nothing else may be sent on it between the first `add` and `finish` (or `abandon`).
 */
export function partsAsTheyCome<T>(db: EntityManager, size: number, statement: (part: T[]) => Statement): PartsAsTheyCome<T> {
  let part: T[] = [];
  let running: Promise<unknown> | null = null;
  const send = async () => {
    const [sql, parameters] = statement(part);
    part = [];
    if (running) await running;
    running = db.query(sql, parameters);
    // Awaited by the next send, by finish or by abandon; its failure must not count as unhandled meanwhile.
    running.catch(() => undefined);
  };
  return {
    async add(item) {
      part.push(item);
      if (part.length === size) await send();
    },
    async finish() {
      if (part.length > 0) await send();
      if (running) await running;
      running = null;
    },
    async abandon() {
      part = [];
      if (running) await running.catch(() => undefined);
      running = null;
    },
  };
}
