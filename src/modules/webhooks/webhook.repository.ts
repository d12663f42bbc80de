import type { EntityManager } from 'typeorm';
import type { Role } from '../access';
import { uuidArrayLiteral } from '../../db/uuid-array';
import type { WebhookEventKind } from './webhook.kinds';

export interface WebhookEndpoint {
  id: string;
  ownerId: string;
  ownerRole: Role;
  url: string;
  description: string | null;
  secret: string;
  eventKinds: WebhookEventKind[];
  municipalityIds: string[];
  componentIds: string[];
  enabled: boolean;
  disabledAt: Date | null;
  disabledReason: string | null;
  fromSeq: number;
  createdAt: Date;
  updatedAt: Date;
}

export type DeliveryState = 'PENDING' | 'DELIVERED' | 'FAILED';

export interface WebhookDelivery {
  id: string;
  queued: number;
  endpointId: string;
  messageId: string;
  eventSeq: number;
  eventType: string;
  /** When the change was stored. */
  eventAt: Date;
  payload: string;
  state: DeliveryState;
  attempts: number;
  createdAt: Date;
  nextAttemptAt: Date | null;
  firstAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  statusCode: number | null;
  responseExcerpt: string | null;
  error: string | null;
  deliveredAt: Date | null;
  redeliveryOf: string | null;
}

/** A delivery claimed for an attempt, with what sending it needs. */
export interface ClaimedDelivery extends WebhookDelivery {
  url: string;
  secret: string;
}

export interface NewDelivery {
  endpointId: string;
  eventSeq: number;
  eventType: string;
  eventAt: Date;
  payload: string;
}

const ENDPOINT_COLUMNS = `id, owner_id, owner_role, url, description, secret, event_kinds, municipality_ids::text[] AS municipality_ids,
  component_ids::text[] AS component_ids, enabled, disabled_at, disabled_reason, from_seq, created_at, updated_at`;

const DELIVERY_COLUMNS = `d.id, d.queued, d.endpoint_id, d.message_id, d.event_seq, d.event_type, d.event_at, d.payload, d.state, d.attempts, d.created_at,
  d.next_attempt_at, d.first_attempt_at, d.last_attempt_at, d.status_code, d.response_excerpt, d.error, d.delivered_at, d.redelivery_of`;

/* eslint-disable @typescript-eslint/no-explicit-any */
function toEndpoint(row: any): WebhookEndpoint {
  return {
    id: row.id, ownerId: row.owner_id, ownerRole: row.owner_role, url: row.url, description: row.description, secret: row.secret,
    eventKinds: row.event_kinds, municipalityIds: row.municipality_ids, componentIds: row.component_ids, enabled: row.enabled,
    disabledAt: row.disabled_at, disabledReason: row.disabled_reason, fromSeq: Number(row.from_seq), createdAt: row.created_at, updatedAt: row.updated_at,
  };
}

function toDelivery(row: any): WebhookDelivery {
  return {
    id: row.id, queued: Number(row.queued), endpointId: row.endpoint_id, messageId: row.message_id, eventSeq: Number(row.event_seq),
    eventType: row.event_type, eventAt: row.event_at, payload: row.payload, state: row.state, attempts: row.attempts, createdAt: row.created_at,
    nextAttemptAt: row.next_attempt_at, firstAttemptAt: row.first_attempt_at, lastAttemptAt: row.last_attempt_at, statusCode: row.status_code,
    responseExcerpt: row.response_excerpt, error: row.error, deliveredAt: row.delivered_at, redeliveryOf: row.redelivery_of,
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface EndpointFields {
  url: string;
  description: string | null;
  eventKinds: WebhookEventKind[];
  municipalityIds: string[];
  componentIds: string[];
}

export const webhookRepository = {
  async insertEndpoint(db: EntityManager, owner: { id: string; role: Role }, fields: EndpointFields, secret: string, fromSeq: number, now: Date): Promise<WebhookEndpoint> {
    const [row] = await db.query(
      `INSERT INTO webhook_endpoint (owner_id, owner_role, url, description, secret, event_kinds, municipality_ids, component_ids, from_seq, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6::text[], $7::uuid[], $8::uuid[], $9, $10, $10)
       RETURNING ${ENDPOINT_COLUMNS}`,
      [owner.id, owner.role, fields.url, fields.description, secret, fields.eventKinds, uuidArrayLiteral(fields.municipalityIds), uuidArrayLiteral(fields.componentIds), fromSeq, now],
    );
    return toEndpoint(row);
  },

  async endpointsByIds(db: EntityManager, ids: readonly string[]): Promise<WebhookEndpoint[]> {
    const rows = await db.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE id = ANY($1::uuid[])`, [uuidArrayLiteral(ids)]);
    return rows.map(toEndpoint);
  },

  /** The endpoint, locked for the rest of the transaction (a write to it). */
  async lockEndpoint(db: EntityManager, id: string): Promise<WebhookEndpoint | null> {
    const [row] = await db.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE id = $1 FOR UPDATE`, [id]);
    return row ? toEndpoint(row) : null;
  },

  /** One organisation's endpoints, oldest first, after a (createdAt, id) cursor; LIMIT limit + 1. */
  async endpointsOfOwner(db: EntityManager, ownerId: string, after: { createdAt: string; id: string } | null, limit: number): Promise<{ rows: WebhookEndpoint[]; total: number }> {
    const rows = await db.query(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoint
        WHERE owner_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3::uuid))
        ORDER BY created_at, id LIMIT $4`,
      [ownerId, after?.createdAt ?? null, after?.id ?? null, limit + 1],
    );
    const [{ total }] = await db.query(`SELECT count(*)::int AS total FROM webhook_endpoint WHERE owner_id = $1`, [ownerId]);
    return { rows: rows.map(toEndpoint), total };
  },

  async updateEndpoint(db: EntityManager, id: string, fields: EndpointFields, ownerRole: Role, now: Date): Promise<WebhookEndpoint> {
    // UPDATE … RETURNING comes back as [rows, count].
    const [[row]] = await db.query(
      `UPDATE webhook_endpoint SET url = $2, description = $3, event_kinds = $4::text[], municipality_ids = $5::uuid[], component_ids = $6::uuid[],
              owner_role = $8, updated_at = $7
        WHERE id = $1 RETURNING ${ENDPOINT_COLUMNS}`,
      [id, fields.url, fields.description, fields.eventKinds, uuidArrayLiteral(fields.municipalityIds), uuidArrayLiteral(fields.componentIds), now, ownerRole],
    );
    return toEndpoint(row);
  },

  async setSecret(db: EntityManager, id: string, secret: string, now: Date): Promise<WebhookEndpoint> {
    const [[row]] = await db.query(`UPDATE webhook_endpoint SET secret = $2, updated_at = $3 WHERE id = $1 RETURNING ${ENDPOINT_COLUMNS}`, [id, secret, now]);
    return toEndpoint(row);
  },

  /**
   * Enables or disables. Enabling makes the endpoint's held deliveries due now: they were waiting for
   * the receiver to be fixed, not for the rest of their backoff.
   */
  async setEnabled(db: EntityManager, id: string, enabled: boolean, reason: string | null, now: Date): Promise<WebhookEndpoint> {
    const [[row]] = await db.query(
      `UPDATE webhook_endpoint SET enabled = $2, disabled_at = CASE WHEN $2 THEN NULL ELSE $4::timestamptz END,
              disabled_reason = CASE WHEN $2 THEN NULL ELSE $3 END, updated_at = $4
        WHERE id = $1 RETURNING ${ENDPOINT_COLUMNS}`,
      [id, enabled, reason, now],
    );
    if (enabled) {
      await db.query(`UPDATE webhook_delivery SET next_attempt_at = $2, first_attempt_at = NULL WHERE endpoint_id = $1 AND state = 'PENDING'`, [id, now]);
    }
    return toEndpoint(row);
  },

  async deleteEndpoint(db: EntityManager, id: string): Promise<void> {
    await db.query(`DELETE FROM webhook_endpoint WHERE id = $1`, [id]);
  },

  /** Where the fan-out stands, locked; null when another instance is fanning out right now. */
  async lockFanout(db: EntityManager): Promise<number | null> {
    const [row] = await db.query(`SELECT position FROM webhook_fanout FOR UPDATE SKIP LOCKED`);
    return row ? Number(row.position) : null;
  },

  async setFanout(db: EntityManager, position: number): Promise<void> {
    await db.query(`UPDATE webhook_fanout SET position = $1`, [position]);
  },

  /** Whether any endpoint receives events at all: without one, the fan-out has nothing to read. */
  async anyEnabledEndpoint(db: EntityManager): Promise<boolean> {
    const rows = await db.query(`SELECT 1 FROM webhook_endpoint WHERE enabled LIMIT 1`);
    return rows.length > 0;
  },

  /**
   * Waits for a fan-out in progress and keeps the next one out until the caller commits: an endpoint
   * registered under this lock starts after the newest event, and every later fan-out sees it.
   */
  async waitForFanout(db: EntityManager): Promise<void> {
    await db.query(`SELECT position FROM webhook_fanout FOR UPDATE`);
  },

  /** The endpoints that receive events now: enabled, registered before the newest event. */
  async receivingEndpoints(db: EntityManager, beforeSeq: number): Promise<WebhookEndpoint[]> {
    const rows = await db.query(`SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE enabled AND from_seq < $1 ORDER BY id`, [beforeSeq]);
    return rows.map(toEndpoint);
  },

  /** Queues deliveries in the given order (their order per endpoint); one statement. */
  async insertDeliveries(db: EntityManager, deliveries: readonly NewDelivery[], now: Date): Promise<void> {
    if (deliveries.length === 0) return;
    await db.query(
      `INSERT INTO webhook_delivery (endpoint_id, message_id, event_seq, event_type, event_at, payload, created_at, next_attempt_at)
       SELECT e, 'msg_' || replace(gen_random_uuid()::text, '-', ''), s, t, a, p, $6, $6
         FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::timestamptz[], $5::text[]) WITH ORDINALITY AS u(e, s, t, a, p, i)
        ORDER BY i`,
      [uuidArrayLiteral(deliveries.map((d) => d.endpointId)), deliveries.map((d) => d.eventSeq), deliveries.map((d) => d.eventType),
        deliveries.map((d) => d.eventAt), deliveries.map((d) => d.payload), now],
    );
  },

  /**
   * Claims up to `limit` due deliveries, each the oldest PENDING one of its enabled endpoint, and
   * leases them until `leaseUntil` (their next_attempt_at): nobody else claims them meanwhile, and
   * should this instance die mid-attempt, they fall due again then. SKIP LOCKED lets instances claim
   * side by side; the conditions on `d` are checked again on the locked row, so a delivery another
   * instance claimed and committed in between is passed over.
   */
  async claimDue(db: EntityManager, now: Date, leaseUntil: Date, limit: number): Promise<ClaimedDelivery[]> {
    return db.transaction(async (tx) => {
      const claimed: { id: string }[] = await tx.query(
        `SELECT d.id FROM webhook_endpoint e
           -- Each endpoint's oldest PENDING delivery, one probe of webhook_delivery_pending per endpoint,
           -- so a claim costs the same with a hundred thousand deliveries waiting as with ten.
           CROSS JOIN LATERAL (SELECT p.id FROM webhook_delivery p
                                WHERE p.endpoint_id = e.id AND p.state = 'PENDING' ORDER BY p.queued LIMIT 1) oldest
           JOIN webhook_delivery d ON d.id = oldest.id
          WHERE e.enabled AND d.state = 'PENDING' AND d.next_attempt_at <= $1
          ORDER BY d.next_attempt_at, d.queued
          LIMIT $2
          FOR UPDATE OF d SKIP LOCKED`,
        [now, limit],
      );
      if (claimed.length === 0) return [];
      const [rows] = await tx.query(
        `UPDATE webhook_delivery d SET next_attempt_at = $2, attempts = d.attempts + 1, last_attempt_at = $3,
                first_attempt_at = coalesce(d.first_attempt_at, $3)
           FROM webhook_endpoint e
          WHERE d.id = ANY($1::uuid[]) AND e.id = d.endpoint_id
          RETURNING ${DELIVERY_COLUMNS}, e.url, e.secret`,
        [uuidArrayLiteral(claimed.map((c) => c.id)), leaseUntil, now],
      );
      return (rows as any[]).map((row) => ({ ...toDelivery(row), url: row.url, secret: row.secret })); // eslint-disable-line @typescript-eslint/no-explicit-any
    });
  },

  /** When the next pending delivery of an enabled endpoint falls due (leases included), or null. */
  async nextDue(db: EntityManager): Promise<Date | null> {
    const [row] = await db.query(
      `SELECT min(d.next_attempt_at) AS due FROM webhook_delivery d JOIN webhook_endpoint e ON e.id = d.endpoint_id AND e.enabled WHERE d.state = 'PENDING'`,
    );
    return row.due;
  },

  async recordDelivered(db: EntityManager, id: string, outcome: { statusCode: number | null; responseExcerpt: string | null }, now: Date): Promise<void> {
    await db.query(
      `UPDATE webhook_delivery SET state = 'DELIVERED', delivered_at = $2, next_attempt_at = NULL, status_code = $3, response_excerpt = $4, error = NULL
        WHERE id = $1 AND state = 'PENDING'`,
      [id, now, outcome.statusCode, outcome.responseExcerpt],
    );
  },

  async recordFailed(db: EntityManager, id: string, outcome: { statusCode: number | null; responseExcerpt: string | null; error: string | null }, nextAttemptAt: Date | null): Promise<void> {
    await db.query(
      `UPDATE webhook_delivery SET state = CASE WHEN $2::timestamptz IS NULL THEN 'FAILED' ELSE 'PENDING' END, next_attempt_at = $2,
              status_code = $3, response_excerpt = $4, error = $5
        WHERE id = $1 AND state = 'PENDING'`,
      [id, nextAttemptAt, outcome.statusCode, outcome.responseExcerpt, outcome.error?.slice(0, 500) ?? null],
    );
  },

  async deliveriesByIds(db: EntityManager, ids: readonly string[]): Promise<WebhookDelivery[]> {
    const rows = await db.query(`SELECT ${DELIVERY_COLUMNS} FROM webhook_delivery d WHERE d.id = ANY($1::uuid[])`, [uuidArrayLiteral(ids)]);
    return rows.map(toDelivery);
  },

  /** A copy of a delivery queued behind everything its endpoint has: the same message id and body. */
  async queueRedelivery(db: EntityManager, original: WebhookDelivery, now: Date): Promise<WebhookDelivery> {
    const [row] = await db.query(
      `INSERT INTO webhook_delivery AS d (endpoint_id, message_id, event_seq, event_type, event_at, payload, created_at, next_attempt_at, redelivery_of)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) RETURNING ${DELIVERY_COLUMNS}`,
      [original.endpointId, original.messageId, original.eventSeq, original.eventType, original.eventAt, original.payload, now, original.id],
    );
    return toDelivery(row);
  },

  /** The delivery log of several endpoints, newest first: per endpoint up to `limit` + 1 after the cursor, and the count. */
  async deliveryPages(db: EntityManager, endpointIds: readonly string[], afterQueued: number | null, limit: number): Promise<Map<string, { rows: WebhookDelivery[]; total: number }>> {
    const rows = await db.query(
      `SELECT t.endpoint_id AS parent_id, t.total, ${DELIVERY_COLUMNS}
         FROM (SELECT endpoint_id, count(*)::int AS total FROM webhook_delivery WHERE endpoint_id = ANY($1::uuid[]) GROUP BY endpoint_id) t
         CROSS JOIN LATERAL (
           SELECT * FROM webhook_delivery w
            WHERE w.endpoint_id = t.endpoint_id AND ($2::bigint IS NULL OR w.queued < $2)
            ORDER BY w.queued DESC LIMIT $3
         ) d`,
      [uuidArrayLiteral(endpointIds), afterQueued, limit + 1],
    );
    const pages = new Map<string, { rows: WebhookDelivery[]; total: number }>();
    for (const row of rows) {
      const page: { rows: WebhookDelivery[]; total: number } = pages.get(row.parent_id) ?? { rows: [], total: row.total };
      page.rows.push(toDelivery(row));
      pages.set(row.parent_id, page);
    }
    for (const page of pages.values()) page.rows.sort((a, b) => b.queued - a.queued);
    return pages;
  },
};
