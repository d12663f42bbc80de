import { partsAsTheyCome, runPipelined } from '../../src/db/pipelined';
import { openTestDatabase, TestDatabase } from '../helpers/database';

/**
 * The keeper's many statements above a hub run pipelined (src/db/pipelined.ts): each statement is
 * built while the one before it runs, each one's rows handled while the one after it runs, all in
 * order on the transaction's connection; a failure stops the rest and is the one thrown. Items that
 * become ready one at a time (partsAsTheyCome) are sent a part at a time in the same way.
 */
let db: TestDatabase;

beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db.close();
});

test('statements run in order, one at a time, each built while the one before runs and sent before its rows are handled', async () => {
  const steps: string[] = [];
  const values: number[] = [];
  await db.dataSource.transaction(async (tx) => {
    await tx.query('CREATE TEMPORARY TABLE pipelined_order (n int) ON COMMIT DROP');
    await runPipelined(tx, [0, 1, 2, 3], (i) => {
      steps.push(`build ${i}`);
      return [`INSERT INTO pipelined_order (n) VALUES ($1) RETURNING (SELECT count(*) FROM pipelined_order)::int AS before`, [i]];
    }, (rows, i) => {
      steps.push(`handle ${i}`);
      values.push((rows as { before: number }[])[0].before);
    });
  });
  expect(steps).toEqual(['build 0', 'build 1', 'handle 0', 'build 2', 'handle 1', 'build 3', 'handle 2', 'handle 3']);
  // Each insert saw every insert before it: run one after another, in the order given.
  expect(values).toEqual([0, 1, 2, 3]);
});

test('a failing statement is thrown, none after it is sent, and nothing is left unhandled', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const built: number[] = [];
    const handled: number[] = [];
    db.queries.recordStatements = true;
    db.queries.reset();
    await expect(db.dataSource.transaction(async (tx) => {
      await tx.query('CREATE TEMPORARY TABLE pipelined_failure (n int) ON COMMIT DROP');
      await runPipelined(tx, [0, 1, 2, 3, 4, 5], (i) => {
        built.push(i);
        return i === 2 ? ['SELECT 1 / (2 - $1::int) AS never', [i]] : ['INSERT INTO pipelined_failure (n) VALUES ($1)', [i]];
      }, (_rows, i) => {
        handled.push(i);
      });
    })).rejects.toThrow(/division by zero/);
    // Statement 3 was built while 2 ran, and not sent once 2 failed.
    expect(built).toEqual([0, 1, 2, 3]);
    expect(handled).toEqual([0, 1]);
    expect(db.queries.statements.filter((sql) => /pipelined_failure \(n\)|never/.test(sql))).toHaveLength(3);
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
    const [{ count }]: { count: number }[] = await db.dataSource.query(`SELECT count(*)::int AS count FROM pg_tables WHERE tablename = 'pipelined_failure'`);
    expect(count).toBe(0);
  } finally {
    db.queries.recordStatements = false;
    process.off('unhandledRejection', onUnhandled);
  }
});

test('no statements: nothing runs', async () => {
  const built: number[] = [];
  await runPipelined(db.dataSource.manager, [] as number[], (i) => {
    built.push(i);
    return ['SELECT 1', []];
  });
  expect(built).toEqual([]);
});

test('parts as they come: each part is sent once full, while the caller goes on, one statement at a time, the rest at finish', async () => {
  const steps: string[] = [];
  let rows: { n: number; before: number }[] = [];
  await db.dataSource.transaction(async (tx) => {
    await tx.query('CREATE TEMPORARY TABLE parts_order (n int, before int) ON COMMIT DROP');
    const parts = partsAsTheyCome<number>(tx, 2, (part) => {
      steps.push(`send ${part.join(',')}`);
      return [`INSERT INTO parts_order (n, before) SELECT n, (SELECT count(*) FROM parts_order)::int FROM unnest($1::int[]) AS n`, [part]];
    });
    for (const n of [0, 1, 2, 3, 4]) {
      await parts.add(n);
      steps.push(`added ${n}`);
    }
    await parts.finish();
    rows = await tx.query('SELECT n, before FROM parts_order ORDER BY n');
  });
  expect(steps).toEqual(['added 0', 'send 0,1', 'added 1', 'added 2', 'send 2,3', 'added 3', 'added 4', 'send 4']);
  // Each part saw every part before it: one after another, in order, and nothing was left out.
  expect(rows).toEqual([{ n: 0, before: 0 }, { n: 1, before: 0 }, { n: 2, before: 2 }, { n: 3, before: 2 }, { n: 4, before: 4 }]);
});

test('parts as they come: a failed part is thrown by the next add or by finish, and abandon leaves nothing unhandled', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const sent: number[][] = [];
    await expect(db.dataSource.transaction(async (tx) => {
      await tx.query('CREATE TEMPORARY TABLE parts_failure (n int) ON COMMIT DROP');
      const parts = partsAsTheyCome<number>(tx, 2, (part) => {
        sent.push(part);
        return part.includes(2) ? ['SELECT 1 / (2 - $1::int) AS never', [2]] : ['INSERT INTO parts_failure (n) SELECT unnest($1::int[])', [part]];
      });
      try {
        for (const n of [0, 1, 2, 3, 4, 5, 6]) await parts.add(n);
        await parts.finish();
      } catch (error) {
        await parts.abandon();
        throw error;
      }
    })).rejects.toThrow(/division by zero/);
    // The part after the failed one was built, its statement never sent: the failure came first.
    expect(sent).toEqual([[0, 1], [2, 3], [4, 5]]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
