import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed webhooks (issue 17, docs/webhooks.md):
 * - `webhook_endpoint`: an organisation's receiver, its filter and its signing secret. `owner_role` is
 *   the role of the token that registered it: what the endpoint receives is what that organisation
 *   could read with that role. `from_seq` is the change-event position at registration, so an endpoint
 *   never receives changes from before it existed.
 * - `webhook_fanout`: one row, the position in the change-event stream up to which deliveries exist.
 * - `webhook_delivery`: the outbox. One row per (change event, endpoint), or per redelivery; `queued`
 *   is the order per endpoint. A PENDING row is attempted when `next_attempt_at` is due and it is the
 *   oldest PENDING row of its endpoint.
 */
export class CreateWebhooks1769400000000 implements MigrationInterface {
  name = 'CreateWebhooks1769400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_endpoint (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id         uuid NOT NULL REFERENCES organisation (id),
        owner_role       text NOT NULL CHECK (owner_role IN ('MUNICIPALITY', 'OPERATOR', 'VENDOR', 'COORDINATOR')),
        url              text NOT NULL CHECK (length(url) <= 2000),
        description      text CHECK (length(description) <= 500),
        secret           text NOT NULL,
        event_kinds      text[] NOT NULL DEFAULT '{}',
        municipality_ids uuid[] NOT NULL DEFAULT '{}',
        component_ids    uuid[] NOT NULL DEFAULT '{}',
        enabled          boolean NOT NULL DEFAULT true,
        disabled_at      timestamptz,
        disabled_reason  text,
        from_seq         bigint NOT NULL,
        created_at       timestamptz NOT NULL,
        updated_at       timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX webhook_endpoint_owner ON webhook_endpoint (owner_id, created_at, id)`);
    await q.query(`CREATE TABLE webhook_fanout (one boolean PRIMARY KEY DEFAULT true CHECK (one), position bigint NOT NULL)`);
    await q.query(`
      INSERT INTO webhook_fanout (position)
      SELECT coalesce((SELECT max(position_end) FROM change_write), (SELECT pruned_through FROM change_event_horizon), 0)`);
    await q.query(`
      CREATE TABLE webhook_delivery (
        id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        queued            bigint GENERATED ALWAYS AS IDENTITY,
        endpoint_id       uuid NOT NULL REFERENCES webhook_endpoint (id) ON DELETE CASCADE,
        message_id        text NOT NULL,
        event_seq         bigint NOT NULL,
        event_type        text NOT NULL,
        event_at          timestamptz NOT NULL,
        payload           text NOT NULL,
        state             text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'DELIVERED', 'FAILED')),
        attempts          integer NOT NULL DEFAULT 0,
        created_at        timestamptz NOT NULL,
        next_attempt_at   timestamptz,
        first_attempt_at  timestamptz,
        last_attempt_at   timestamptz,
        status_code       integer,
        response_excerpt  text CHECK (length(response_excerpt) <= 200),
        error             text CHECK (length(error) <= 500),
        delivered_at      timestamptz,
        redelivery_of     uuid REFERENCES webhook_delivery (id) ON DELETE SET NULL
      )`);
    await q.query(`CREATE INDEX webhook_delivery_pending ON webhook_delivery (endpoint_id, queued) WHERE state = 'PENDING'`);
    await q.query(`CREATE INDEX webhook_delivery_log ON webhook_delivery (endpoint_id, queued DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_delivery`);
    await q.query(`DROP TABLE webhook_fanout`);
    await q.query(`DROP TABLE webhook_endpoint`);
  }
}
