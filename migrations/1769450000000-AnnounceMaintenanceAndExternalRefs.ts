import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 17, parts 2 and 3. Maintenance changes (scheduled, updated, cancelled, started, ended) are
 * change events of their own kind, so subscribers and webhooks hear of them as of status changes;
 * a window remembers whether its start and end were announced, so the clock announces each once.
 *
 * A vendor names its components by its own keys: `external_ref`, unique per operator, so that
 * an integration reports on "gw-ams-017" without keeping our ids.
 */
export class AnnounceMaintenanceAndExternalRefs1769450000000 implements MigrationInterface {
  name = 'AnnounceMaintenanceAndExternalRefs1769450000000';

  async up(q: QueryRunner): Promise<void> {
    const [kindCheck]: { conname: string }[] = await q.query(
      `SELECT conname FROM pg_constraint
        WHERE conrelid = 'change_event'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%''INCIDENT''::text]))%'
          AND pg_get_constraintdef(oid) NOT LIKE '%IS NOT NULL%'`,
    );
    if (kindCheck) await q.query(`ALTER TABLE change_event DROP CONSTRAINT "${kindCheck.conname}"`);
    await q.query(`ALTER TABLE change_event ADD COLUMN maintenance_id uuid REFERENCES maintenance_window (id)`);
    await q.query(`ALTER TABLE change_event ADD COLUMN maintenance_action text`);
    await q.query(`ALTER TABLE change_event ADD CONSTRAINT change_event_kind CHECK (kind IN ('STATUS', 'INCIDENT', 'MAINTENANCE'))`);
    await q.query(`ALTER TABLE change_event ADD CONSTRAINT change_event_maintenance
      CHECK ((kind = 'MAINTENANCE') = (maintenance_id IS NOT NULL AND maintenance_action IN ('SCHEDULED', 'UPDATED', 'CANCELLED', 'STARTED', 'ENDED')))`);
    await q.query(`CREATE INDEX change_event_maintenance ON change_event (maintenance_id) WHERE maintenance_id IS NOT NULL`);
    await q.query(`ALTER TABLE maintenance_window ADD COLUMN start_announced boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE maintenance_window ADD COLUMN end_announced boolean NOT NULL DEFAULT false`);
    await q.query(`CREATE INDEX maintenance_window_unannounced ON maintenance_window (starts_at) WHERE NOT end_announced`);

    await q.query(`ALTER TABLE component ADD COLUMN external_ref text CHECK (length(external_ref) BETWEEN 1 AND 200)`);
    await q.query(`CREATE UNIQUE INDEX component_external_ref ON component (operator_id, external_ref) WHERE external_ref IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX component_external_ref`);
    await q.query(`ALTER TABLE component DROP COLUMN external_ref`);
    await q.query(`DROP INDEX maintenance_window_unannounced`);
    await q.query(`ALTER TABLE maintenance_window DROP COLUMN end_announced`);
    await q.query(`ALTER TABLE maintenance_window DROP COLUMN start_announced`);
    await q.query(`DELETE FROM change_event WHERE kind = 'MAINTENANCE'`);
    await q.query(`ALTER TABLE change_event DROP CONSTRAINT change_event_maintenance`);
    await q.query(`ALTER TABLE change_event DROP CONSTRAINT change_event_kind`);
    await q.query(`ALTER TABLE change_event DROP COLUMN maintenance_action`);
    await q.query(`ALTER TABLE change_event DROP COLUMN maintenance_id`);
    await q.query(`ALTER TABLE change_event ADD CONSTRAINT change_event_kind_check CHECK (kind IN ('STATUS', 'INCIDENT'))`);
  }
}
