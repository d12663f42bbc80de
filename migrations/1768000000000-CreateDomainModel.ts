import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The domain model of ../shared/design/domain.md: organisations and memberships, the component graph,
 * append-only status reports, incidents with their timeline, advisories with affected product ranges.
 */
export class CreateDomainModel1768000000000 implements MigrationInterface {
  name = 'CreateDomainModel1768000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE organisation (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind        text NOT NULL CHECK (kind IN ('MUNICIPALITY', 'SHARED_SERVICE_ORGANISATION', 'VENDOR', 'COORDINATOR')),
        name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        cbs_code    text UNIQUE CHECK (cbs_code ~ '^GM[0-9]{4}$'),
        population  integer CHECK (population >= 0),
        website     text,
        created_at  timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind = 'MUNICIPALITY') = (cbs_code IS NOT NULL)),
        CHECK ((kind = 'MUNICIPALITY') = (population IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX organisation_kind_name ON organisation (kind, name, id)`);
    await q.query(`CREATE INDEX organisation_name ON organisation (name, id)`);

    // A shared-service organisation serves a municipality from a date, until an optional date.
    await q.query(`
      CREATE TABLE membership (
        id                              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        shared_service_organisation_id  uuid NOT NULL REFERENCES organisation (id),
        municipality_id                 uuid NOT NULL REFERENCES organisation (id),
        starts_on                       date NOT NULL,
        ends_on                         date,
        created_at                      timestamptz NOT NULL DEFAULT now(),
        CHECK (ends_on IS NULL OR ends_on >= starts_on),
        UNIQUE (shared_service_organisation_id, municipality_id, starts_on)
      )`);
    await q.query(`CREATE INDEX membership_municipality ON membership (municipality_id)`);

    await q.query(`
      CREATE TABLE component (
        id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind                text NOT NULL CHECK (kind IN ('GATEWAY', 'APPLICATION', 'SERVICE', 'INFRASTRUCTURE')),
        operator_id         uuid NOT NULL REFERENCES organisation (id),
        name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        description         text,
        product_vendor      text,
        product             text,
        version             text,
        internet_facing     boolean,
        audience            text CHECK (audience IN ('RESIDENTS', 'STAFF', 'BUSINESSES')),
        heartbeat_seconds   integer CHECK (heartbeat_seconds > 0),
        revision            integer NOT NULL DEFAULT 1,
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind = 'SERVICE') = (audience IS NOT NULL)),
        CHECK ((kind = 'GATEWAY') = (product_vendor IS NOT NULL AND product IS NOT NULL AND internet_facing IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX component_operator ON component (operator_id)`);
    await q.query(`CREATE INDEX component_kind_name ON component (kind, name, id)`);
    await q.query(`CREATE INDEX component_name ON component (name, id)`);
    await q.query(`CREATE INDEX component_product ON component (product_vendor, product, version) WHERE kind = 'GATEWAY'`);

    // A service is delivered to one or more municipalities.
    await q.query(`
      CREATE TABLE service_delivery (
        service_id       uuid NOT NULL REFERENCES component (id),
        municipality_id  uuid NOT NULL REFERENCES organisation (id),
        PRIMARY KEY (service_id, municipality_id)
      )`);
    await q.query(`CREATE INDEX service_delivery_municipality ON service_delivery (municipality_id, service_id)`);

    // "component_id depends on depends_on_id". Removal keeps the row (removed_at) so asOf can rebuild the past.
    await q.query(`
      CREATE TABLE dependency (
        id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        component_id      uuid NOT NULL REFERENCES component (id),
        depends_on_id     uuid NOT NULL REFERENCES component (id),
        kind              text NOT NULL CHECK (kind IN ('REQUIRED', 'OPTIONAL')),
        redundancy_group  text CHECK (length(redundancy_group) BETWEEN 1 AND 100),
        added_at          timestamptz NOT NULL DEFAULT now(),
        removed_at        timestamptz,
        CHECK (component_id <> depends_on_id),
        CHECK (removed_at IS NULL OR removed_at >= added_at)
      )`);
    await q.query(`CREATE UNIQUE INDEX dependency_current ON dependency (component_id, depends_on_id) WHERE removed_at IS NULL`);
    await q.query(`CREATE INDEX dependency_depends_on ON dependency (depends_on_id, component_id)`);
    await q.query(`CREATE INDEX dependency_component ON dependency (component_id, depends_on_id)`);

    // Append-only: nothing here is ever updated or deleted. seq is the stable tie-break for equal observed_at.
    await q.query(`
      CREATE TABLE status_report (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq              bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        component_id     uuid NOT NULL REFERENCES component (id),
        status           text NOT NULL CHECK (status IN ('OPERATIONAL', 'DEGRADED_PERFORMANCE', 'PARTIAL_OUTAGE', 'MAJOR_OUTAGE', 'UNDER_MAINTENANCE')),
        cause            text CHECK (cause IN ('PRECAUTIONARY_SHUTDOWN', 'FAILURE', 'MAINTENANCE', 'COMPROMISE', 'DEPENDENCY')),
        observed_at      timestamptz NOT NULL,
        recorded_at      timestamptz NOT NULL DEFAULT now(),
        reporter_id      uuid NOT NULL REFERENCES organisation (id),
        reported_by      text,
        source           text,
        note             text,
        idempotency_key  text CHECK (length(idempotency_key) BETWEEN 1 AND 200),
        CHECK ((status = 'OPERATIONAL') = (cause IS NULL))
      )`);
    await q.query(`CREATE INDEX status_report_component_time ON status_report (component_id, observed_at, seq)`);
    await q.query(`CREATE INDEX status_report_reporter_time ON status_report (reporter_id, observed_at)`);
    await q.query(`CREATE UNIQUE INDEX status_report_idempotency ON status_report (reporter_id, idempotency_key) WHERE idempotency_key IS NOT NULL`);

    await q.query(`
      CREATE TABLE advisory (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        reference     text NOT NULL UNIQUE CHECK (length(reference) BETWEEN 1 AND 100),
        title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
        description   text,
        publisher_id  uuid NOT NULL REFERENCES organisation (id),
        published_at  timestamptz NOT NULL,
        cve_ids       text[] NOT NULL DEFAULT '{}',
        cvss_score    numeric(3, 1) CHECK (cvss_score BETWEEN 0 AND 10),
        advice        text NOT NULL CHECK (advice IN ('PATCH', 'MITIGATE', 'SWITCH_OFF')),
        source        text,
        created_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX advisory_published ON advisory (published_at DESC, id)`);

    // Inclusive version range; a missing bound is open. Versions compare as dotted numbers (13.0.47.24).
    await q.query(`
      CREATE TABLE advisory_affected_product (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        advisory_id     uuid NOT NULL REFERENCES advisory (id),
        product_vendor  text NOT NULL,
        product         text NOT NULL,
        version_from    text,
        version_to      text
      )`);
    await q.query(`CREATE INDEX advisory_affected_product_advisory ON advisory_affected_product (advisory_id)`);

    await q.query(`
      CREATE TABLE incident (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
        severity       text NOT NULL CHECK (severity IN ('MINOR', 'MAJOR', 'CRITICAL')),
        state          text NOT NULL CHECK (state IN ('INVESTIGATING', 'IDENTIFIED', 'MONITORING', 'RESOLVED')),
        declared_by_id uuid NOT NULL REFERENCES organisation (id),
        started_at     timestamptz NOT NULL,
        resolved_at    timestamptz,
        created_at     timestamptz NOT NULL DEFAULT now(),
        CHECK ((state = 'RESOLVED') = (resolved_at IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX incident_started ON incident (started_at DESC, id)`);
    await q.query(`
      CREATE TABLE incident_component (
        incident_id   uuid NOT NULL REFERENCES incident (id),
        component_id  uuid NOT NULL REFERENCES component (id),
        PRIMARY KEY (incident_id, component_id)
      )`);
    await q.query(`CREATE INDEX incident_component_component ON incident_component (component_id, incident_id)`);
    await q.query(`
      CREATE TABLE incident_advisory (
        incident_id  uuid NOT NULL REFERENCES incident (id),
        advisory_id  uuid NOT NULL REFERENCES advisory (id),
        PRIMARY KEY (incident_id, advisory_id)
      )`);
    await q.query(`CREATE INDEX incident_advisory_advisory ON incident_advisory (advisory_id, incident_id)`);

    // The timeline: who said what, when, from which source. A clearance is an update of kind CLEARANCE.
    await q.query(`
      CREATE TABLE incident_update (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq          bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        incident_id  uuid NOT NULL REFERENCES incident (id),
        kind         text NOT NULL CHECK (kind IN ('UPDATE', 'CLEARANCE')),
        state        text NOT NULL CHECK (state IN ('INVESTIGATING', 'IDENTIFIED', 'MONITORING', 'RESOLVED')),
        message      text NOT NULL CHECK (length(message) BETWEEN 1 AND 5000),
        posted_at    timestamptz NOT NULL,
        recorded_at  timestamptz NOT NULL DEFAULT now(),
        author_id    uuid NOT NULL REFERENCES organisation (id),
        author_name  text,
        source       text
      )`);
    await q.query(`CREATE INDEX incident_update_incident ON incident_update (incident_id, posted_at, seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'incident_update', 'incident_advisory', 'incident_component', 'incident',
      'advisory_affected_product', 'advisory', 'status_report', 'dependency',
      'service_delivery', 'component', 'membership', 'organisation',
    ]) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
