import type { PictureRow } from './picture.repository';

/**
 * The rows of the stored picture this instance last read or wrote, each with its revision, so that
 * a write need not read them again: a report on a hub reads and writes tens of thousands of rows,
 * and the next report on it needs the same rows.
 *
 * Nothing here is trusted on its own. A write takes remembered rows as its first reading, then locks
 * every row it uses and compares revisions (picture.keeper.ts, `lockAndRefresh`); a row whose
 * revision differs (written meanwhile by another instance, or by a write here that rolled back) is
 * read again. That comparison is enough because a revision is never used twice for a row
 * (picture.repository.ts, `NEW_REVISION`): the same revision means the same content.
 *
 * Readers of *now* and what-ifs never use it: they read the stored picture.
 */
export class RowMemory {
  /** Oldest first: a row read or written again moves to the end. */
  private readonly rows = new Map<string, PictureRow>();

  constructor(private readonly mostRows: number) {}

  /** The remembered rows of `ids`, and the ids of those not remembered. */
  recall(ids: readonly string[]): { rows: PictureRow[]; missing: string[] } {
    const rows: PictureRow[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row) rows.push(row);
      else missing.push(id);
    }
    return { rows, missing };
  }

  /**
   * Remembers rows as read or written (they are never changed afterwards: the keeper copies a row
   * before it changes it), forgetting the oldest beyond `mostRows`.
   */
  remember(rows: Iterable<PictureRow>): void {
    for (const row of rows) {
      this.rows.delete(row.componentId);
      this.rows.set(row.componentId, row);
    }
    for (const id of this.rows.keys()) {
      if (this.rows.size <= this.mostRows) break;
      this.rows.delete(id);
    }
  }

  forget(ids: Iterable<string>): void {
    for (const id of ids) this.rows.delete(id);
  }

  get size(): number {
    return this.rows.size;
  }
}
