import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Change events are kept for CHANGE_EVENT_RETENTION_HOURS and then pruned, oldest first (a hub's
 * outage alone writes 33,000). The horizon says how far: every event up to `pruned_through` is gone,
 * so a subscriber replaying from an older cursor is told that its replay cannot be complete instead
 * of silently missing changes.
 */
export class CreateChangeEventHorizon1768600000000 implements MigrationInterface {
  name = 'CreateChangeEventHorizon1768600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE change_event_horizon (
        only_row        boolean PRIMARY KEY DEFAULT true CHECK (only_row),
        pruned_through  bigint NOT NULL DEFAULT 0
      )`);
    await q.query(`INSERT INTO change_event_horizon DEFAULT VALUES`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE change_event_horizon`);
  }
}
