import { badInput } from '../errors';
import { isUuid } from './global-id';
import { parseIsoDateTime } from './calendar';

export const MAX_PAGE_SIZE = 200;

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: number;
}

/** Validates `first`: a page of 0 to MAX_PAGE_SIZE items. */
export function pageSize(first: number | null | undefined, fallback = 50): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE_SIZE) {
    throw badInput(`first must be between 0 and ${MAX_PAGE_SIZE}`, 'first');
  }
  return size;
}

/**
 * Cursors are opaque to clients: base64url of the sort key of the last row seen (keyset pagination,
 * so a page does not shift when rows are added before it).
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export type CursorPart = 'string' | 'number' | 'uuid' | 'timestamp';

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

/** Every part is checked for what the SQL will do with it, so a forged cursor is the client's error, not ours. */
function partIsValid(part: unknown, kind: CursorPart): boolean {
  switch (kind) {
    case 'string': return typeof part === 'string' && part.length <= 1000 && !part.includes('\u0000');
    case 'number': return typeof part === 'number' && Number.isSafeInteger(part) && part >= 0;
    case 'uuid': return typeof part === 'string' && isUuid(part);
    // The calendar is checked too: year 0000 or 30 February reached PostgreSQL as an internal error.
    case 'timestamp': return typeof part === 'string' && TIMESTAMP.test(part) && parseIsoDateTime(part) !== null;
  }
}

export function decodeCursor(cursor: string | null | undefined, shape: readonly CursorPart[]): (string | number)[] | null {
  if (cursor === null || cursor === undefined) return null;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const valid = Array.isArray(key) && key.length === shape.length && key.every((part, i) => partIsValid(part, shape[i]));
  if (!valid) throw badInput('after is not a cursor this list gave out', 'after');
  return key as (string | number)[];
}

/**
 * Builds a connection from rows fetched with LIMIT size + 1: the extra row only says there is a next page.
 */
export function toPage<T>(rows: T[], size: number, keyOf: (row: T) => (string | number)[], totalCount: number, hasPrevious: boolean): Page<T> {
  return connectionOf(rows.slice(0, size), rows.length > size, keyOf, totalCount, hasPrevious);
}

export function connectionOf<T>(nodes: T[], hasNextPage: boolean, keyOf: (row: T) => (string | number)[], totalCount: number, hasPrevious: boolean): Page<T> {
  const edges = nodes.map((node) => ({ cursor: encodeCursor(keyOf(node)), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: hasPrevious,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
    totalCount,
  };
}
