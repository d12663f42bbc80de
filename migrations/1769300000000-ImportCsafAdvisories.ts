import { MigrationInterface, QueryRunner } from 'typeorm';

const TLP = `('CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED')`;

/**
 * Advisories as the world publishes them (CSAF 2.0), remediation per gateway, TLP labels, and the
 * incident writes of issue 14.
 *
 * - An advisory keeps every revision (`advisory_revision`, with the original CSAF text when it came
 *   from one) and its product statements per revision, so exposure at an earlier moment is judged
 *   on the revision then in force. Rows written before this migration belong to revision 1, released
 *   at the advisory's publication (no row in `advisory_revision` is needed for that one).
 * - `advisory_affected_product` becomes a product statement: a product (vendor, product, exact
 *   version, `vers:` range, the old inclusive bounds, CPE, purl) with a status for one vulnerability
 *   (`cve`; null: every vulnerability of the advisory).
 * - `gateway_remediation` is append-only: the state of one gateway for one advisory, observed at a moment.
 * - TLP 2.0 labels on advisories, incidents and incident updates; RED's named recipients in `tlp_recipient`.
 *   Existing rows keep what they were readable by: advisories GREEN (every organisation), incidents
 *   and their updates AMBER (the declarer and the organisations whose picture holds an affected component).
 */
export class ImportCsafAdvisories1769300000000 implements MigrationInterface {
  name = 'ImportCsafAdvisories1769300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE advisory
        ADD COLUMN tlp                 text NOT NULL DEFAULT 'GREEN' CHECK (tlp IN ${TLP}),
        ADD COLUMN revision            integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
        ADD COLUMN cvss_vector         text,
        ADD COLUMN withdrawn_at        timestamptz,
        ADD COLUMN withdrawal_reason   text,
        ADD COLUMN updated_at          timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN csaf_category       text,
        ADD COLUMN csaf_namespace      text,
        ADD COLUMN csaf_tracking_id    text,
        ADD COLUMN csaf_version        text,
        ADD COLUMN csaf_status         text,
        ADD COLUMN csaf_publisher      text,
        ADD COLUMN csaf_current_release_date timestamptz,
        ADD COLUMN csaf_revision_history jsonb,
        ADD CHECK ((csaf_tracking_id IS NULL) = (csaf_namespace IS NULL)),
        ADD CHECK (withdrawn_at IS NULL OR withdrawal_reason IS NOT NULL)`);
    await q.query(`CREATE UNIQUE INDEX advisory_csaf_document ON advisory (csaf_namespace, csaf_tracking_id) WHERE csaf_tracking_id IS NOT NULL`);

    // Revision 2 onwards (and revision 1 of an imported document): when it took effect, and the CSAF text as received.
    await q.query(`
      CREATE TABLE advisory_revision (
        advisory_id      uuid NOT NULL REFERENCES advisory (id),
        number           integer NOT NULL CHECK (number >= 1),
        released_at      timestamptz NOT NULL,
        recorded_at      timestamptz NOT NULL DEFAULT now(),
        recorded_by_id   uuid NOT NULL REFERENCES organisation (id),
        summary          text,
        csaf_version     text,
        document         text,
        document_sha256  text,
        PRIMARY KEY (advisory_id, number)
      )`);

    await q.query(`
      ALTER TABLE advisory_affected_product
        ADD COLUMN revision       integer NOT NULL DEFAULT 1,
        ADD COLUMN status         text NOT NULL DEFAULT 'KNOWN_AFFECTED'
          CHECK (status IN ('KNOWN_AFFECTED', 'FIXED', 'KNOWN_NOT_AFFECTED', 'UNDER_INVESTIGATION')),
        ADD COLUMN cve            text,
        ADD COLUMN version        text,
        ADD COLUMN version_range  text,
        ADD COLUMN cpe            text,
        ADD COLUMN purl           text,
        ADD COLUMN product_ref    text,
        ADD COLUMN name           text,
        ADD COLUMN ordinal        integer NOT NULL DEFAULT 0,
        ADD COLUMN vendor_key     text NOT NULL GENERATED ALWAYS AS (lower(regexp_replace(btrim(product_vendor), '[[:space:]_-]+', ' ', 'g'))) STORED`);
    await q.query(`DROP INDEX advisory_affected_product_advisory`);
    await q.query(`CREATE INDEX advisory_affected_product_revision ON advisory_affected_product (advisory_id, revision)`);
    // VEX: statements about one CVE from every document.
    await q.query(`CREATE INDEX advisory_affected_product_cve ON advisory_affected_product (cve, vendor_key) WHERE cve IS NOT NULL`);

    // The vulnerabilities of a revision, with their CVSS v3 score and vector and their remediations (CSAF's, as given).
    await q.query(`
      CREATE TABLE advisory_vulnerability (
        advisory_id   uuid NOT NULL REFERENCES advisory (id),
        revision      integer NOT NULL,
        ordinal       integer NOT NULL,
        cve           text,
        title         text,
        cvss_score    numeric(3, 1) CHECK (cvss_score BETWEEN 0 AND 10),
        cvss_vector   text,
        remediations  jsonb NOT NULL DEFAULT '[]',
        PRIMARY KEY (advisory_id, revision, ordinal)
      )`);

    await q.query(`
      CREATE TABLE gateway_remediation (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq              bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        advisory_id      uuid NOT NULL REFERENCES advisory (id),
        gateway_id       uuid NOT NULL REFERENCES component (id),
        state            text NOT NULL CHECK (state IN ('EXPOSED', 'MITIGATED', 'PATCHED', 'NOT_AFFECTED', 'SWITCHED_OFF')),
        note             text CHECK (length(note) <= 5000),
        source           text CHECK (length(source) <= 2000),
        observed_at      timestamptz NOT NULL,
        recorded_at      timestamptz NOT NULL DEFAULT now(),
        recorded_by_id   uuid NOT NULL REFERENCES organisation (id),
        reported_by      text,
        idempotency_key  text CHECK (length(idempotency_key) BETWEEN 1 AND 200)
      )`);
    await q.query(`CREATE INDEX gateway_remediation_advisory ON gateway_remediation (advisory_id, gateway_id, observed_at, seq)`);
    await q.query(`CREATE UNIQUE INDEX gateway_remediation_idempotency ON gateway_remediation (recorded_by_id, idempotency_key) WHERE idempotency_key IS NOT NULL`);

    await q.query(`
      ALTER TABLE incident
        ADD COLUMN tlp                      text NOT NULL DEFAULT 'AMBER' CHECK (tlp IN ${TLP}),
        ADD COLUMN expected_restoration_at  timestamptz,
        ADD COLUMN revision                 integer NOT NULL DEFAULT 1`);
    await q.query(`ALTER TABLE incident_update DROP CONSTRAINT incident_update_kind_check`);
    await q.query(`
      ALTER TABLE incident_update
        ADD CONSTRAINT incident_update_kind_check CHECK (kind IN ('UPDATE', 'CLEARANCE', 'ACKNOWLEDGEMENT')),
        ADD COLUMN tlp              text NOT NULL DEFAULT 'AMBER' CHECK (tlp IN ${TLP}),
        ADD COLUMN idempotency_key  text CHECK (length(idempotency_key) BETWEEN 1 AND 200),
        ADD COLUMN request_hash     text`);
    await q.query(`CREATE UNIQUE INDEX incident_update_idempotency ON incident_update (author_id, idempotency_key) WHERE idempotency_key IS NOT NULL`);
    await q.query(`CREATE INDEX incident_tlp ON incident (tlp) WHERE tlp <> 'AMBER'`);

    // RED: the organisations an advisory, incident or incident update is addressed to.
    await q.query(`
      CREATE TABLE tlp_recipient (
        subject_type     text NOT NULL CHECK (subject_type IN ('Advisory', 'Incident', 'IncidentUpdate')),
        subject_id       uuid NOT NULL,
        organisation_id  uuid NOT NULL REFERENCES organisation (id),
        PRIMARY KEY (subject_type, subject_id, organisation_id)
      )`);
    await q.query(`CREATE INDEX tlp_recipient_organisation ON tlp_recipient (organisation_id, subject_type)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE tlp_recipient`);
    await q.query(`DROP INDEX incident_tlp`);
    await q.query(`DROP INDEX incident_update_idempotency`);
    await q.query(`DELETE FROM incident_update WHERE kind = 'ACKNOWLEDGEMENT'`);
    await q.query(`ALTER TABLE incident_update DROP CONSTRAINT incident_update_kind_check`);
    await q.query(`ALTER TABLE incident_update DROP COLUMN tlp, DROP COLUMN idempotency_key, DROP COLUMN request_hash,
      ADD CONSTRAINT incident_update_kind_check CHECK (kind IN ('UPDATE', 'CLEARANCE'))`);
    await q.query(`ALTER TABLE incident DROP COLUMN tlp, DROP COLUMN expected_restoration_at, DROP COLUMN revision`);
    await q.query(`DROP TABLE gateway_remediation`);
    await q.query(`DROP TABLE advisory_vulnerability`);
    await q.query(`DROP INDEX advisory_affected_product_cve`);
    await q.query(`DROP INDEX advisory_affected_product_revision`);
    await q.query(`DELETE FROM advisory_affected_product WHERE revision > 1`);
    await q.query(`ALTER TABLE advisory_affected_product DROP COLUMN revision, DROP COLUMN status, DROP COLUMN cve, DROP COLUMN version,
      DROP COLUMN version_range, DROP COLUMN cpe, DROP COLUMN purl, DROP COLUMN product_ref, DROP COLUMN name, DROP COLUMN vendor_key, DROP COLUMN ordinal`);
    await q.query(`CREATE INDEX advisory_affected_product_advisory ON advisory_affected_product (advisory_id)`);
    await q.query(`DROP TABLE advisory_revision`);
    await q.query(`DROP INDEX advisory_csaf_document`);
    await q.query(`ALTER TABLE advisory DROP COLUMN tlp, DROP COLUMN revision, DROP COLUMN cvss_vector, DROP COLUMN withdrawn_at,
      DROP COLUMN withdrawal_reason, DROP COLUMN updated_at, DROP COLUMN csaf_category, DROP COLUMN csaf_namespace, DROP COLUMN csaf_tracking_id,
      DROP COLUMN csaf_version, DROP COLUMN csaf_status, DROP COLUMN csaf_publisher, DROP COLUMN csaf_current_release_date, DROP COLUMN csaf_revision_history`);
  }
}
