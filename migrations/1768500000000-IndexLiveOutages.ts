import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The components in an outage, as a small index of the live picture (25,000 of 125,000 rows at
 * national scale). A what-if asks which dependencies leaving its set point at an outage; reading
 * this index answers that in a few milliseconds, where scanning every row took 20–25 ms, most of
 * a small what-if's time.
 */
export class IndexLiveOutages1768500000000 implements MigrationInterface {
  name = 'IndexLiveOutages1768500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX live_status_outages ON live_status (component_id) WHERE status NOT IN ('OPERATIONAL', 'UNKNOWN')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX live_status_outages`);
  }
}
