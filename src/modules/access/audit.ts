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
