import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What subscribers are told, stored: one row per change of a component's effective status and per
 * incident update, written in the transaction of the write that caused it. `seq` is the order every
 * server instance delivers them in and the `since` cursor a reconnecting subscriber resumes from.
 * Writers take one advisory lock before they insert (src/modules/events/change-event.repository.ts),
 * so rows become visible in `seq` order and a reader that remembers the last `seq` misses none.
 */
export class CreateChangeEvent1768360000000 implements MigrationInterface {
  name = 'CreateChangeEvent1768360000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE change_event (
        seq                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind                text NOT NULL CHECK (kind IN ('STATUS', 'INCIDENT')),
        component_id        uuid REFERENCES component (id),
        -- The municipalities a service is delivered to; empty for components that are not services.
        municipality_ids    uuid[] NOT NULL DEFAULT '{}',
        status              text,
        previous_status     text,
        cause               text,
        -- Component ids: the component first, the root cause last (empty when operational).
        root_cause          uuid[] NOT NULL DEFAULT '{}',
        -- When the new status took effect: the observation of the report that changed it.
        since               timestamptz,
        incident_id         uuid REFERENCES incident (id),
        incident_update_id  uuid REFERENCES incident_update (id),
        incident_state      text,
        occurred_at         timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind = 'STATUS') = (component_id IS NOT NULL AND status IS NOT NULL AND previous_status IS NOT NULL)),
        CHECK ((kind = 'INCIDENT') = (incident_id IS NOT NULL AND incident_state IS NOT NULL))
      )`);
    // Replays after a `since` cursor, per subscription argument.
    await q.query(`CREATE INDEX change_event_component ON change_event (component_id, seq) WHERE component_id IS NOT NULL`);
    await q.query(`CREATE INDEX change_event_incident ON change_event (incident_id, seq) WHERE incident_id IS NOT NULL`);
    await q.query(`CREATE INDEX change_event_municipality ON change_event USING gin (municipality_ids)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE change_event`);
  }
}
