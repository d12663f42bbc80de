import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The live picture: every component's effective status with all the reports and dependencies known,
 * kept so that the national overview and a what-if need not re-judge 125,000 components per request.
 * It is derived data (src/modules/status/live-picture.ts), never the source of truth:
 *
 * - `live_picture_state` (one row) counts the writes that can change a status (`changes`, bumped by
 *   the statement triggers below, whoever writes: the API, the demo seed, a bulk COPY) and records
 *   the count the stored picture reflects (`version`). They differ when something changed the facts
 *   without updating the picture; the next reader then rebuilds it.
 * - `latest_moment` is the newest timestamp in the facts (an observation, an edge added or removed).
 *   The picture answers a question about moment T only when T is at or after it; an older moment,
 *   or a report dated a little in the future, is answered from the reports themselves.
 */
export class CreateLivePicture1768400000000 implements MigrationInterface {
  name = 'CreateLivePicture1768400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE live_status (
        -- No foreign key: this is a cache rebuilt wholesale, and must not stand in the way of the facts.
        component_id         uuid PRIMARY KEY,
        -- The component's kind (which never changes), so national counts need not join component.
        kind                 text NOT NULL,
        status               text NOT NULL,
        cause                text,
        -- Component ids: the component first, the root cause last (empty when not an outage).
        root_cause           uuid[] NOT NULL DEFAULT '{}',
        -- The report at the root: [id, status, cause, observedAt, seq], or null.
        root_cause_report    jsonb,
        -- The earliest heartbeat deadline in the component's closure, if any has a heartbeat.
        stale_from           timestamptz,
        -- The component's own newest report (null when it never reported).
        report_id            uuid,
        report_status        text,
        report_cause         text,
        report_observed_at   timestamptz,
        report_seq           bigint
      )`);
    await q.query(`
      CREATE TABLE live_picture_state (
        only_row        boolean PRIMARY KEY DEFAULT true CHECK (only_row),
        changes         bigint NOT NULL DEFAULT 1,
        version         bigint NOT NULL DEFAULT 0,
        latest_moment   timestamptz NOT NULL DEFAULT '-infinity',
        rebuilt_at      timestamptz
      )`);
    await q.query(`INSERT INTO live_picture_state DEFAULT VALUES`);

    // One bump per statement, not per row: a COPY of a million edges costs one update.
    await q.query(`
      CREATE FUNCTION live_picture_changed(moment timestamptz) RETURNS void LANGUAGE sql AS $$
        UPDATE live_picture_state
           SET changes = changes + 1, latest_moment = greatest(latest_moment, coalesce(moment, '-infinity'))
      $$`);
    await q.query(`
      CREATE FUNCTION live_picture_reports_added() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- A statement trigger fires for an insert that inserted nothing (an idempotent retry).
        IF EXISTS (SELECT 1 FROM new_rows) THEN
          PERFORM live_picture_changed((SELECT max(observed_at) FROM new_rows));
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION live_picture_edges_written() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM new_rows) THEN
          PERFORM live_picture_changed((SELECT greatest(max(added_at), max(removed_at)) FROM new_rows));
        END IF;
        RETURN NULL;
      END $$`);
    // Deletions, truncations and updates of a report's facts are not part of the API: they make the
    // picture unusable until a rebuild has looked at the facts again.
    await q.query(`
      CREATE FUNCTION live_picture_unknown_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM live_picture_changed('infinity');
        RETURN NULL;
      END $$`);
    // A new component has no reports and no dependencies yet: it is UNKNOWN, and that is exact.
    await q.query(`
      CREATE FUNCTION live_picture_components_added() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO live_status (component_id, kind, status) SELECT id, kind, 'UNKNOWN' FROM new_rows
          ON CONFLICT (component_id) DO NOTHING;
        RETURN NULL;
      END $$`);
    // A heartbeat decides when a component goes stale: only a changed one counts.
    await q.query(`
      CREATE FUNCTION live_picture_heartbeats_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
                    WHERE n.heartbeat_seconds IS DISTINCT FROM o.heartbeat_seconds) THEN
          PERFORM live_picture_changed(NULL);
        END IF;
        RETURN NULL;
      END $$`);

    await q.query(`CREATE TRIGGER live_picture_reports_added AFTER INSERT ON status_report
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION live_picture_reports_added()`);
    await q.query(`CREATE TRIGGER live_picture_reports_rewritten AFTER UPDATE OF component_id, status, cause, observed_at OR DELETE OR TRUNCATE
      ON status_report FOR EACH STATEMENT EXECUTE FUNCTION live_picture_unknown_change()`);
    await q.query(`CREATE TRIGGER live_picture_edges_added AFTER INSERT ON dependency
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION live_picture_edges_written()`);
    await q.query(`CREATE TRIGGER live_picture_edges_updated AFTER UPDATE ON dependency
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION live_picture_edges_written()`);
    await q.query(`CREATE TRIGGER live_picture_edges_deleted AFTER DELETE OR TRUNCATE ON dependency
      FOR EACH STATEMENT EXECUTE FUNCTION live_picture_unknown_change()`);
    await q.query(`CREATE TRIGGER live_picture_components_added AFTER INSERT ON component
      REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION live_picture_components_added()`);
    await q.query(`CREATE TRIGGER live_picture_components_updated AFTER UPDATE ON component
      REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION live_picture_heartbeats_changed()`);
    await q.query(`CREATE TRIGGER live_picture_components_removed AFTER DELETE OR TRUNCATE ON component
      FOR EACH STATEMENT EXECUTE FUNCTION live_picture_unknown_change()`);

    // A what-if walks up from a component and then reads the dependencies of everything it found
    // (33,000 components above Centric's gateway): from these two indexes alone, without the table.
    await q.query(`CREATE INDEX dependency_dependants_current ON dependency (depends_on_id) INCLUDE (component_id, kind, redundancy_group, added_at)
      WHERE removed_at IS NULL`);
    await q.query(`CREATE INDEX dependency_dependencies_current ON dependency (component_id) INCLUDE (depends_on_id, kind, redundancy_group, added_at)
      WHERE removed_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX dependency_dependencies_current`);
    await q.query(`DROP INDEX dependency_dependants_current`);
    await q.query(`DROP TRIGGER live_picture_components_removed ON component`);
    await q.query(`DROP TRIGGER live_picture_components_updated ON component`);
    await q.query(`DROP TRIGGER live_picture_components_added ON component`);
    await q.query(`DROP TRIGGER live_picture_edges_deleted ON dependency`);
    await q.query(`DROP TRIGGER live_picture_edges_updated ON dependency`);
    await q.query(`DROP TRIGGER live_picture_edges_added ON dependency`);
    await q.query(`DROP TRIGGER live_picture_reports_rewritten ON status_report`);
    await q.query(`DROP TRIGGER live_picture_reports_added ON status_report`);
    await q.query(`DROP FUNCTION live_picture_heartbeats_changed()`);
    await q.query(`DROP FUNCTION live_picture_components_added()`);
    await q.query(`DROP FUNCTION live_picture_unknown_change()`);
    await q.query(`DROP FUNCTION live_picture_edges_written()`);
    await q.query(`DROP FUNCTION live_picture_reports_added()`);
    await q.query(`DROP FUNCTION live_picture_changed(timestamptz)`);
    await q.query(`DROP TABLE live_picture_state`);
    await q.query(`DROP TABLE live_status`);
  }
}
