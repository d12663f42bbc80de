import { runPipelined } from '../../src/db/pipelined';
import { openTestDatabase, TestDatabase } from '../helpers/database';

/**
 * The keeper's many statements above a hub run pipelined (src/db/pipelined.ts): each statement is
 * built while the one before it runs, each one's rows handled while the one after it runs, all in
 * order on the transaction's connection; a failure stops the rest and is the one thrown.
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
