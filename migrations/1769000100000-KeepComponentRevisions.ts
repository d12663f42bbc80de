import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every revision of a component's register facts, each from the moment it was written: so a past
 * answer reads the version a gateway had then (exposure to an advisory), the audience a service had
 * then (residents affected), and a component registered later is not counted before it existed.
 * Revisions from before this migration have no known start: they count as always.
 */
export class KeepComponentRevisions1769000100000 implements MigrationInterface {
  name = 'KeepComponentRevisions1769000100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE component_revision (
        component_id     uuid NOT NULL REFERENCES component (id),
        revision         integer NOT NULL,
        valid_from       timestamptz NOT NULL,
        name             text NOT NULL,
        product_vendor   text,
        product          text,
        version          text,
        internet_facing  boolean,
        audience         text,
        PRIMARY KEY (component_id, revision)
      )`);
    await q.query(`CREATE INDEX component_revision_from ON component_revision (component_id, valid_from)`);
    await q.query(`
      INSERT INTO component_revision (component_id, revision, valid_from, name, product_vendor, product, version, internet_facing, audience)
      SELECT id, revision, '-infinity', name, product_vendor, product, version, internet_facing, audience FROM component`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE component_revision`);
  }
}
