import { SharedCounts } from '../../src/platform/shared-counts';

/**
 * What an instance does when the table cannot be written (src/platform/shared-counts.ts): it goes on
 * counting in memory, and what it counted arrives with the next statement that succeeds. The shares
 * themselves, across instances, are tested on PostgreSQL in test/integration/rate-limit.test.ts.
 */
test('points counted while the table cannot be written are shared with the next statement that succeeds, none lost or counted twice', async () => {
  const table = new Map<string, number>();
  let failing = true;
  const sent: { keys: string[]; points: number[] }[] = [];
  const store = {
    async query(statement: { text: string; values?: unknown[] }) {
      const [keys, points] = statement.values as [string[], number[]];
      sent.push({ keys, points });
      if (failing) throw new Error('connection refused');
      const rows = keys.map((key, i) => {
        table.set(key, (table.get(key) ?? 0) + points[i]);
        return { key, points: table.get(key)!, expire: Date.now() + 60_000 };
      });
      return { rows, rowCount: rows.length };
    },
  };
  const counts = new SharedCounts(store);
  expect(counts.take('caller:a', 1, 10, 60_000)).toBeNull();
  expect(counts.take('caller:a', 1, 10, 60_000)).toBeNull();
  await counts.shareNow(500);
  expect(sent).toEqual([{ keys: ['caller:a'], points: [2] }]);
  // Not shared, still counted here: the budget holds on this instance alone.
  expect(counts.used('caller:a')).toBe(2);
  expect(counts.take('caller:b', 3, 10, 60_000)).toBeNull();
  failing = false;
  await counts.shareNow(500);
  expect(sent[1]).toEqual({ keys: expect.arrayContaining(['caller:a', 'caller:b']), points: expect.any(Array) });
  expect(Object.fromEntries(table)).toEqual({ 'caller:a': 2, 'caller:b': 3 });
  expect(counts.used('caller:a')).toBe(2);
  // Over the budget: refused with the time left in the window, and not counted.
  expect(counts.take('caller:b', 8, 10, 60_000)).toBeGreaterThan(59_000);
  expect(counts.used('caller:b')).toBe(3);
  await counts.close();
  expect(sent).toHaveLength(2);
});
