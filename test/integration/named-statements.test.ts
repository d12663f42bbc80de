import type { DataSource } from 'typeorm';
import { createDataSource } from '../../src/db/data-source';
import { queryNamed } from '../../src/db/named-statements';
import { QueryCounter } from '../../src/db/query-counter';
import { openTestDatabase, TestDatabase } from '../helpers/database';

/**
 * The dashboards' statements are prepared once per connection under a name where the data source
 * allows it (a PostgreSQL server), and sent as any other statement elsewhere (the embedded engine,
 * DATABASE_NAMED_STATEMENTS=off, inside a transaction). Each data source here has one connection, so
 * `pg_prepared_statements` (per session) shows what that connection holds.
 */
let db: TestDatabase;
const opened: DataSource[] = [];

beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  for (const dataSource of opened) await dataSource.destroy();
  await db.close();
});

async function oneConnection(namedStatements: boolean): Promise<{ dataSource: DataSource; counter: QueryCounter }> {
  const counter = new QueryCounter();
  const dataSource = createDataSource({ url: db.url, poolSize: 1, queryCounter: counter, namedStatements });
  await dataSource.initialize();
  opened.push(dataSource);
  return { dataSource, counter };
}

const prepared = async (dataSource: DataSource, name: string) =>
  (await dataSource.query(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name = $1`, [name]))[0].n as number;

const SUM = 'SELECT sum(x)::int AS total FROM unnest($1::int[]) AS t(x)';

const onServer = process.env.DATABASE_URL ? test : test.skip;

onServer('on a server, a named statement is prepared once on the connection, answers as the plain one, and is counted', async () => {
  const { dataSource, counter } = await oneConnection(true);
  counter.reset();
  expect(await queryNamed(dataSource.manager, 'test_sum', SUM, [[1, 2, 3]])).toEqual([{ total: 6 }]);
  expect(await queryNamed(dataSource.manager, 'test_sum', SUM, [[4, 5]])).toEqual([{ total: 9 }]);
  expect(counter.count).toBe(2);
  expect(await prepared(dataSource, 'test_sum')).toBe(1);
  // Inside a transaction it runs on the transaction's connection, as any statement.
  const inside = await dataSource.transaction((tx) => queryNamed(tx, 'test_sum_in_transaction', SUM, [[7]]));
  expect(inside).toEqual([{ total: 7 }]);
  expect(await prepared(dataSource, 'test_sum_in_transaction')).toBe(0);
});

test('where names are not allowed (the embedded engine, or switched off), the statement is sent unnamed', async () => {
  const { dataSource } = await oneConnection(false);
  expect(await queryNamed(dataSource.manager, 'test_sum_unnamed', SUM, [[1, 2]])).toEqual([{ total: 3 }]);
  expect(await prepared(dataSource, 'test_sum_unnamed')).toBe(0);
});

onServer('an error in a named statement is the database\'s error, and the connection goes on', async () => {
  const { dataSource } = await oneConnection(true);
  await expect(queryNamed(dataSource.manager, 'test_divide', 'SELECT 1 / $1::int AS q', [0])).rejects.toMatchObject({ code: '22012' });
  expect(await queryNamed(dataSource.manager, 'test_divide', 'SELECT 1 / $1::int AS q', [1])).toEqual([{ q: 1 }]);
});
