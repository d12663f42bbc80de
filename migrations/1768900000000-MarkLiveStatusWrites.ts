import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `live_status.written_at_change`: the count of `live_picture_state.changes` whose write last
 * changed the row (rows that say what they said before are left alone). A kept what-if answer
 * (src/modules/overview/kept-what-ifs.ts) reads the rows of the components above its component and
 * just outside them; when the counts have moved on, the rows written since its count say whether any
 * of those changed, so an answer about Centric's gateway survives the reports on everything else.
 * Writers hold the state row, so counts are written in commit order.
 */
export class MarkLiveStatusWrites1768900000000 implements MigrationInterface {
  name = 'MarkLiveStatusWrites1768900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE live_status ADD COLUMN written_at_change bigint NOT NULL DEFAULT 0`);
    await q.query(`CREATE INDEX live_status_written ON live_status (written_at_change)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX live_status_written`);
    await q.query(`ALTER TABLE live_status DROP COLUMN written_at_change`);
  }
}
