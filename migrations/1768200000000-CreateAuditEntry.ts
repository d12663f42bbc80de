import { MigrationInterface, QueryRunner } from 'typeorm';

/** Who did what, when, through which token: one row per mutation, written in the mutation's transaction. */
export class CreateAuditEntry1768200000000 implements MigrationInterface {
  name = 'CreateAuditEntry1768200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_entry (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq              bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        at               timestamptz NOT NULL DEFAULT now(),
        organisation_id  uuid NOT NULL REFERENCES organisation (id),
        token_id         text NOT NULL,
        operation        text NOT NULL,
        entity_type      text NOT NULL,
        entity_id        uuid NOT NULL,
        request_id       text NOT NULL
      )`);
    await q.query(`CREATE INDEX audit_entry_organisation ON audit_entry (organisation_id, seq)`);
    await q.query(`CREATE INDEX audit_entry_entity ON audit_entry (entity_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_entry`);
  }
}
