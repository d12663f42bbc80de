import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `live_picture_state.register_changes` counts the statements that wrote the register: who is who
 * (`organisation`, `membership`), what runs (`component`) and who serves whom (`service_delivery`).
 * With `changes` (status facts) and `dependency_changes` it says whether anything a what-if's answer
 * reads has changed: the same three counts mean the same answer, so a server may give a kept answer
 * again (src/modules/overview/kept-what-ifs.ts). Bumped by a statement trigger in the writing
 * transaction, whoever wrote: the API, a bulk load, SQL by hand.
 */
export class CountRegisterChanges1768800000000 implements MigrationInterface {
  name = 'CountRegisterChanges1768800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE live_picture_state ADD COLUMN register_changes bigint NOT NULL DEFAULT 0`);
    await q.query(`
      CREATE FUNCTION register_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE live_picture_state SET register_changes = register_changes + 1;
        RETURN NULL;
      END $$`);
    for (const table of REGISTER) {
      await q.query(`CREATE TRIGGER register_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION register_changed()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of REGISTER) await q.query(`DROP TRIGGER register_changed ON ${table}`);
    await q.query(`DROP FUNCTION register_changed()`);
    await q.query(`ALTER TABLE live_picture_state DROP COLUMN register_changes`);
  }
}

const REGISTER = ['organisation', 'membership', 'component', 'service_delivery'];
