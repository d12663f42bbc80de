import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scheduled maintenance (issue 17): an operator announces ahead of time that some of its components
 * will be UNDER_MAINTENANCE from `starts_at` until `ends_at`. The picture judges a component in an
 * announced window UNDER_MAINTENANCE (cause MAINTENANCE) unless its own report is worse, and the
 * picture's clock takes each window's start and end in when they come, without a request.
 *
 * The past never moves: a window cannot be moved into the past (a running one can only be shortened
 * to now or later, or extended), and one cancelled before it began never counted.
 */
export class ScheduleMaintenance1769000200000 implements MigrationInterface {
  name = 'ScheduleMaintenance1769000200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE maintenance_window (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        operator_id    uuid NOT NULL REFERENCES organisation (id),
        title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
        public_text    text CHECK (length(public_text) <= 5000),
        starts_at      timestamptz NOT NULL,
        ends_at        timestamptz NOT NULL,
        cancelled_at   timestamptz,
        revision       integer NOT NULL DEFAULT 1,
        created_at     timestamptz NOT NULL DEFAULT now(),
        updated_at     timestamptz NOT NULL DEFAULT now(),
        CHECK (ends_at > starts_at)
      )`);
    await q.query(`CREATE INDEX maintenance_window_operator ON maintenance_window (operator_id, starts_at)`);
    await q.query(`CREATE INDEX maintenance_window_time ON maintenance_window (starts_at, ends_at)`);
    await q.query(`
      CREATE TABLE maintenance_component (
        maintenance_id  uuid NOT NULL REFERENCES maintenance_window (id),
        component_id    uuid NOT NULL REFERENCES component (id),
        PRIMARY KEY (maintenance_id, component_id)
      )`);
    await q.query(`CREATE INDEX maintenance_component_component ON maintenance_component (component_id, maintenance_id)`);
    // The stored picture: the windows of each component that are not over, and when the next begins or ends.
    await q.query(`ALTER TABLE live_status ADD COLUMN maintenance jsonb NOT NULL DEFAULT '[]'`);
    await q.query(`ALTER TABLE live_status ADD COLUMN next_maintenance_at timestamptz`);
    await q.query(`ALTER TABLE live_status ADD COLUMN root_cause_maintenance_id uuid`);
    await q.query(`CREATE INDEX live_status_maintenance_due ON live_status (next_maintenance_at) WHERE next_maintenance_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX live_status_maintenance_due`);
    await q.query(`ALTER TABLE live_status DROP COLUMN root_cause_maintenance_id`);
    await q.query(`ALTER TABLE live_status DROP COLUMN next_maintenance_at`);
    await q.query(`ALTER TABLE live_status DROP COLUMN maintenance`);
    await q.query(`DROP TABLE maintenance_component`);
    await q.query(`DROP TABLE maintenance_window`);
  }
}
