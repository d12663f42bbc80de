import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `rate_limit`: the rate-limit counts every instance shares (src/platform/shared-counts.ts): one
 * row per key (`caller:token:<id>`, `caller:public:<address>`, `failed-auth:<address>`), the points
 * used in the current window, and when the window ends (epoch milliseconds). UNLOGGED: the counts of the last minute are not worth a write-ahead
 * log entry per request, and after a crash every window simply starts again.
 */
export class CreateRateLimit1769210000000 implements MigrationInterface {
  name = 'CreateRateLimit1769210000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE UNLOGGED TABLE rate_limit (
        key     varchar(255) PRIMARY KEY,
        points  integer NOT NULL DEFAULT 0,
        expire  bigint
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE rate_limit`);
  }
}
