import { EntityManager } from 'typeorm';
import type { RequestContext } from '../../context';

/** Records a mutation in the audit trail, inside the mutation's own transaction. */
export async function recordAudit(
  db: EntityManager,
  ctx: RequestContext,
  entry: { operation: string; entityType: string; entityId: string },
): Promise<void> {
  if (ctx.viewer.kind !== 'organisation') throw new Error('Mutations need an organisation viewer before they are audited');
  await db.query(
    `INSERT INTO audit_entry (organisation_id, token_id, operation, entity_type, entity_id, request_id) VALUES ($1, $2, $3, $4, $5, $6)`,
    [ctx.viewer.organisationId, ctx.viewer.tokenId, entry.operation, entry.entityType, entry.entityId, ctx.requestId],
  );
}

export interface AuditEntryModel {
  seq: string;
  at: Date;
  organisationId: string;
  tokenId: string;
  operation: string;
  entityType: string;
  entityId: string;
  requestId: string;
}

/** One page of the audit trail, newest first. */
export async function auditPage(
  db: EntityManager,
  organisationId: string | null,
  afterSeq: number | null,
  limit: number,
): Promise<{ rows: AuditEntryModel[]; totalCount: number }> {
  const [{ count }] = await db.query(
    `SELECT count(*)::int AS count FROM audit_entry WHERE $1::uuid IS NULL OR organisation_id = $1`,
    [organisationId],
  );
  const rows: { seq: string; at: Date; organisation_id: string; token_id: string; operation: string; entity_type: string; entity_id: string; request_id: string }[] = await db.query(
    `SELECT seq, at, organisation_id, token_id, operation, entity_type, entity_id, request_id FROM audit_entry
      WHERE ($1::uuid IS NULL OR organisation_id = $1) AND ($2::bigint IS NULL OR seq < $2)
      ORDER BY seq DESC LIMIT $3`,
    [organisationId, afterSeq, limit],
  );
  return {
    totalCount: count,
    rows: rows.map((r) => ({
      seq: r.seq, at: r.at, organisationId: r.organisation_id, tokenId: r.token_id, operation: r.operation,
      entityType: r.entity_type, entityId: r.entity_id, requestId: r.request_id,
    })),
  };
}
