import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A row of the stored picture takes a number never used before each time it is written
 * (`live_status.revision` from the sequence `live_status_revision`), instead of its last one plus
 * one. So a revision names one content of a row for good, even when the write that gave it rolled
 * back: an instance that remembers a row with its revision can trust it whenever the row, locked,
 * still has that revision (src/modules/picture/row-memory.ts). The sequence starts above every
 * revision already stored.
 */
export class NumberPictureRevisions1769600000000 implements MigrationInterface {
  name = 'NumberPictureRevisions1769600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE live_status_revision AS bigint`);
    await q.query(`SELECT setval('live_status_revision', (SELECT coalesce(max(revision), 0) + 1 FROM live_status), false)`);
    await q.query(`ALTER TABLE live_status ALTER COLUMN revision SET DEFAULT nextval('live_status_revision')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE live_status ALTER COLUMN revision SET DEFAULT 1`);
    await q.query(`DROP SEQUENCE live_status_revision`);
  }
}
