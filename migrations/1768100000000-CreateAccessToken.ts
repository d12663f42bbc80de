import { MigrationInterface, QueryRunner } from 'typeorm';

/** Bearer tokens bound to one organisation and a role. Only a SHA-256 hash of the secret is stored. */
export class CreateAccessToken1768100000000 implements MigrationInterface {
  name = 'CreateAccessToken1768100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE access_token (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organisation_id  uuid NOT NULL REFERENCES organisation (id),
        role             text NOT NULL CHECK (role IN ('MUNICIPALITY', 'OPERATOR', 'VENDOR', 'COORDINATOR')),
        token_hash       text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
        label            text CHECK (length(label) <= 200),
        created_at       timestamptz NOT NULL DEFAULT now(),
        expires_at       timestamptz NOT NULL,
        revoked_at       timestamptz,
        issued_by_token_id uuid REFERENCES access_token (id)
      )`);
    await q.query(`CREATE INDEX access_token_organisation ON access_token (organisation_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE access_token`);
  }
}
