import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `webhook_delivery.redelivery_of` references another delivery (ON DELETE SET NULL), but nothing
 * indexed it: every delivery deleted with its endpoint (`deleteWebhookEndpoint` removes the log)
 * made PostgreSQL scan the whole outbox for redeliveries of it. With 105,000 deliveries in the
 * outbox (W7 at scale 1) one endpoint with 300 deliveries took about 7 s to delete. Partial: almost
 * no delivery is a redelivery.
 */
export class IndexWebhookRedeliveries1769500000000 implements MigrationInterface {
  name = 'IndexWebhookRedeliveries1769500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS webhook_delivery_redelivery_of ON webhook_delivery (redelivery_of) WHERE redelivery_of IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS webhook_delivery_redelivery_of`);
  }
}
