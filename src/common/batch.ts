/** Orders batch results by the keys DataLoader asked for (missing keys become null). */
export function byKey<T>(keys: readonly string[], rows: T[], keyOf: (row: T) => string): (T | null)[] {
  const found = new Map<string, T>();
  for (const row of rows) found.set(keyOf(row), row);
  return keys.map((key) => found.get(key) ?? null);
}

/** Groups batch results by key, in the order the keys were asked for (missing keys get an empty list). */
export function groupByKey<T>(keys: readonly string[], rows: T[], keyOf: (row: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const key of keys) groups.set(key, []);
  for (const row of rows) groups.get(keyOf(row))?.push(row);
  return keys.map((key) => groups.get(key)!);
}

/** DataLoader.loadMany for rows that must exist: rethrows a batch error, drops rows deleted meanwhile. */
export async function loadExisting<T>(
  loader: { loadMany(keys: readonly string[]): Promise<(T | null | Error)[]> },
  keys: readonly string[],
): Promise<T[]> {
  const results = await loader.loadMany(keys);
  const rows: T[] = [];
  for (const result of results) {
    if (result instanceof Error) throw result;
    if (result !== null) rows.push(result);
  }
  return rows;
}
