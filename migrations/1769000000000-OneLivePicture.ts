import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One live picture, kept by one module (src/modules/picture/), and facts that keep their periods.
 *
 * - The counters, triggers and marks of the earlier scheme go (live_picture_state and its triggers,
 *   dependency and register counters, written_at_change): the picture module updates the stored
 *   picture in the transaction of every write, and locks only the rows that write changes.
 * - `live_status` is rebuilt from the facts at the next start (`picture_build` is empty), with what a
 *   reader of *now* needs: status, cause, since, root cause, staleness; and, for the writes, each
 *   component's own newest report and heartbeat, its dependants, and the dependencies that can
 *   impose something on it (`contributions`).
 * - Facts keep their periods so that an answer about the past never moves: a service is delivered
 *   from a moment until a moment, a heartbeat promise holds from a moment, a component can be
 *   retired (kept for history, gone from now).
 * - Change events are ordered at commit: a write inserts its events and one `change_write` row; a
 *   deferred trigger, which runs as the transaction commits, takes the event-order lock, gives the
 *   write its positions after every write committed before it, and notifies the listeners. The lock
 *   is held from there to the commit, not while the write judges.
 */
export class OneLivePicture1769000000000 implements MigrationInterface {
  name = 'OneLivePicture1769000000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['organisation', 'membership', 'component', 'service_delivery']) {
      await q.query(`DROP TRIGGER register_changed ON ${table}`);
    }
    await q.query(`DROP FUNCTION register_changed()`);
    await q.query(`DROP TRIGGER dependencies_changed ON dependency`);
    await q.query(`DROP FUNCTION dependencies_changed()`);
    for (const [trigger, table] of [
      ['live_picture_components_removed', 'component'], ['live_picture_components_updated', 'component'],
      ['live_picture_components_added', 'component'], ['live_picture_edges_deleted', 'dependency'],
      ['live_picture_edges_updated', 'dependency'], ['live_picture_edges_added', 'dependency'],
      ['live_picture_reports_rewritten', 'status_report'], ['live_picture_reports_added', 'status_report'],
    ]) {
      await q.query(`DROP TRIGGER ${trigger} ON ${table}`);
    }
    for (const fn of ['live_picture_heartbeats_changed()', 'live_picture_components_added()', 'live_picture_unknown_change()',
      'live_picture_edges_written()', 'live_picture_reports_added()', 'live_picture_changed(timestamptz)']) {
      await q.query(`DROP FUNCTION ${fn}`);
    }
    await q.query(`DROP TABLE live_picture_state`);
    await q.query(`DROP TABLE live_status`);

    // Facts with periods.
    await q.query(`ALTER TABLE component ADD COLUMN retired_at timestamptz`);
    await q.query(`
      CREATE TABLE heartbeat_promise (
        component_id       uuid NOT NULL REFERENCES component (id),
        valid_from         timestamptz NOT NULL,
        -- Null: from here on the operator promises no heartbeat.
        heartbeat_seconds  integer CHECK (heartbeat_seconds > 0),
        PRIMARY KEY (component_id, valid_from)
      )`);
    await q.query(`INSERT INTO heartbeat_promise (component_id, valid_from, heartbeat_seconds)
                   SELECT id, '-infinity', heartbeat_seconds FROM component WHERE heartbeat_seconds IS NOT NULL`);
    await q.query(`ALTER TABLE service_delivery DROP CONSTRAINT service_delivery_pkey`);
    await q.query(`ALTER TABLE service_delivery ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY`);
    // Deliveries from before this migration have no known start: they count as always.
    await q.query(`ALTER TABLE service_delivery ADD COLUMN delivered_from timestamptz NOT NULL DEFAULT '-infinity'`);
    await q.query(`ALTER TABLE service_delivery ALTER COLUMN delivered_from DROP DEFAULT`);
    await q.query(`ALTER TABLE service_delivery ADD COLUMN delivered_until timestamptz`);
    await q.query(`ALTER TABLE service_delivery ADD CHECK (delivered_until IS NULL OR delivered_until >= delivered_from)`);
    await q.query(`CREATE UNIQUE INDEX service_delivery_current ON service_delivery (service_id, municipality_id) WHERE delivered_until IS NULL`);
    await q.query(`DROP INDEX service_delivery_municipality`);
    await q.query(`CREATE INDEX service_delivery_municipality ON service_delivery (municipality_id, service_id) INCLUDE (delivered_from, delivered_until)`);
    await q.query(`CREATE INDEX service_delivery_service ON service_delivery (service_id) INCLUDE (municipality_id, delivered_from, delivered_until)`);
    // A late report walks up through the dependencies in force after it was observed.
    await q.query(`CREATE INDEX dependency_removed ON dependency (removed_at) WHERE removed_at IS NOT NULL`);

    // The stored picture (derived; src/modules/picture/picture.repository.ts describes each column).
    await q.query(`
      CREATE TABLE live_status (
        component_id          uuid PRIMARY KEY,
        revision              bigint NOT NULL DEFAULT 1,
        kind                  text NOT NULL,
        audience              text,
        report_id             uuid,
        report_status         text,
        report_cause          text,
        report_observed_at    timestamptz,
        report_seq            bigint,
        heartbeat_seconds     integer,
        heartbeat_from        timestamptz,
        status                text NOT NULL,
        cause                 text,
        root_cause            uuid[] NOT NULL DEFAULT '{}',
        root_cause_report_id  uuid,
        since                 timestamptz,
        stale                 boolean NOT NULL DEFAULT false,
        own_stale_from        timestamptz,
        own_stale             boolean NOT NULL DEFAULT false,
        outage                boolean NOT NULL,
        residents_affected    boolean NOT NULL,
        last_fact_at          timestamptz NOT NULL DEFAULT '-infinity',
        contributions         jsonb NOT NULL DEFAULT '[]',
        dependants            jsonb NOT NULL DEFAULT '[]'
      )`);
    await q.query(`CREATE INDEX live_status_outage ON live_status (component_id) WHERE outage`);
    await q.query(`CREATE INDEX live_status_heartbeat_due ON live_status (own_stale_from) WHERE own_stale_from IS NOT NULL AND NOT own_stale`);
    await q.query(`
      CREATE TABLE picture_build (
        only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
        built_at    timestamptz NOT NULL,
        components  integer NOT NULL
      )`);

    // Change events, ordered at commit. Positions continue after the old events, which go.
    const [{ last }] = await q.query(`SELECT coalesce(max(seq), 0) AS last FROM change_event`);
    await q.query(`DROP TABLE change_event`);
    await q.query(`UPDATE change_event_horizon SET pruned_through = $1`, [last]);
    await q.query(`
      CREATE TABLE change_write (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_count   integer NOT NULL CHECK (event_count > 0),
        -- The position of the write's last event; set as the write commits.
        position_end  bigint UNIQUE,
        occurred_at   timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX change_write_occurred ON change_write (occurred_at)`);
    await q.query(`
      CREATE TABLE change_event (
        write_id            bigint NOT NULL REFERENCES change_write (id) ON DELETE CASCADE,
        n                   integer NOT NULL,
        kind                text NOT NULL CHECK (kind IN ('STATUS', 'INCIDENT')),
        component_id        uuid,
        municipality_ids    uuid[] NOT NULL DEFAULT '{}',
        status              text,
        previous_status     text,
        cause               text,
        root_cause          uuid[] NOT NULL DEFAULT '{}',
        since               timestamptz,
        stale               boolean,
        incident_id         uuid,
        incident_update_id  uuid,
        incident_state      text,
        PRIMARY KEY (write_id, n),
        CHECK ((kind = 'STATUS') = (component_id IS NOT NULL AND status IS NOT NULL AND previous_status IS NOT NULL)),
        CHECK ((kind = 'INCIDENT') = (incident_id IS NOT NULL AND incident_state IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX change_event_component ON change_event (component_id) WHERE component_id IS NOT NULL`);
    await q.query(`CREATE INDEX change_event_incident ON change_event (incident_id) WHERE incident_id IS NOT NULL`);
    await q.query(`CREATE INDEX change_event_municipality ON change_event USING gin (municipality_ids)`);
    await q.query(`
      CREATE FUNCTION change_write_ordered() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        last_position bigint;
      BEGIN
        PERFORM pg_advisory_xact_lock(7326001);
        SELECT coalesce(max(w.position_end), (SELECT pruned_through FROM change_event_horizon)) + NEW.event_count
          INTO last_position FROM change_write w;
        UPDATE change_write SET position_end = last_position WHERE id = NEW.id;
        PERFORM pg_notify('ketenbeeld_events', last_position::text);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER change_write_ordered AFTER INSERT ON change_write
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION change_write_ordered()`);
  }

  async down(): Promise<void> {
    throw new Error('OneLivePicture cannot be undone: restore a backup taken before it');
  }
}
