import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Consent for relations that cross organisations (issue 15, docs/access.md):
 * - `component.offered`: the operator offers the component to every organisation to depend on. A
 *   dependency on an offered component needs no request, and shows the dependant only what the offer
 *   publishes (name, kind, status, reports), not what the component stands on.
 * - `relation_request`: a dependency on another organisation's component that is not offered, a
 *   service delivered to a municipality that has not consented, a membership. Pending until the other
 *   party (or a coordinator) accepts; until then it changes nobody's picture. Accepting writes the
 *   relation itself (a dependency, a delivery, a membership) from that moment; the request stays as
 *   the record of who asked and who consented.
 */
export class AskConsent1769350000000 implements MigrationInterface {
  name = 'AskConsent1769350000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE component ADD COLUMN offered boolean NOT NULL DEFAULT false`);
    await q.query(`
      CREATE TABLE relation_request (
        id                              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind                            text NOT NULL CHECK (kind IN ('DEPENDENCY', 'DELIVERY', 'MEMBERSHIP')),
        state                           text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'ACCEPTED', 'DECLINED', 'WITHDRAWN')),
        requested_by_id                 uuid NOT NULL REFERENCES organisation (id),
        awaiting_id                     uuid NOT NULL REFERENCES organisation (id),
        requested_at                    timestamptz NOT NULL,
        note                            text CHECK (length(note) <= 2000),
        component_id                    uuid REFERENCES component (id),
        depends_on_id                   uuid REFERENCES component (id),
        dependency_kind                 text CHECK (dependency_kind IN ('REQUIRED', 'OPTIONAL')),
        redundancy_group                text,
        municipality_id                 uuid REFERENCES organisation (id),
        shared_service_organisation_id  uuid REFERENCES organisation (id),
        starts_on                       date,
        ends_on                         date,
        decided_at                      timestamptz,
        decided_by_id                   uuid REFERENCES organisation (id),
        decision_note                   text CHECK (length(decision_note) <= 2000),
        dependency_id                   uuid REFERENCES dependency (id),
        membership_id                   uuid REFERENCES membership (id),
        CHECK (requested_by_id <> awaiting_id),
        CHECK ((state = 'PENDING') = (decided_at IS NULL)),
        CHECK (kind <> 'DEPENDENCY' OR (component_id IS NOT NULL AND depends_on_id IS NOT NULL AND dependency_kind IS NOT NULL)),
        CHECK (kind <> 'DELIVERY' OR (component_id IS NOT NULL AND municipality_id IS NOT NULL)),
        CHECK (kind <> 'MEMBERSHIP' OR (shared_service_organisation_id IS NOT NULL AND municipality_id IS NOT NULL AND starts_on IS NOT NULL))
      )`);
    // One open request per relation: asking twice returns the first.
    await q.query(`
      CREATE UNIQUE INDEX relation_request_one_pending ON relation_request
        (kind, coalesce(component_id, shared_service_organisation_id), coalesce(depends_on_id, municipality_id))
        WHERE state = 'PENDING'`);
    await q.query(`CREATE INDEX relation_request_awaiting ON relation_request (awaiting_id, requested_at DESC)`);
    await q.query(`CREATE INDEX relation_request_requested_by ON relation_request (requested_by_id, requested_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE relation_request`);
    await q.query(`ALTER TABLE component DROP COLUMN offered`);
  }
}
