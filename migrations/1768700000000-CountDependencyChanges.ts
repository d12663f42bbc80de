import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `live_picture_state.dependency_changes` counts the statements that wrote `dependency`, bumped by
 * a trigger in the writing transaction, whoever wrote (the API, a bulk load, SQL by hand). A server
 * keeps the dependencies in force in memory for the what-if (src/modules/status/dependencies-in-memory.ts)
 * and reads this count in the what-if's snapshot: the same count means the same dependencies.
 */
export class CountDependencyChanges1768700000000 implements MigrationInterface {
  name = 'CountDependencyChanges1768700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE live_picture_state ADD COLUMN dependency_changes bigint NOT NULL DEFAULT 0`);
    await q.query(`
      CREATE FUNCTION dependencies_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE live_picture_state SET dependency_changes = dependency_changes + 1;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER dependencies_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dependency
      FOR EACH STATEMENT EXECUTE FUNCTION dependencies_changed()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER dependencies_changed ON dependency`);
    await q.query(`DROP FUNCTION dependencies_changed()`);
    await q.query(`ALTER TABLE live_picture_state DROP COLUMN dependency_changes`);
  }
}
