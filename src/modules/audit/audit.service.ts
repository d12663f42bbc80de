import type { RequestContext } from '../../context';
import { idOf } from '../../common/global-id';
import { decodeCursor, Page, pageSize, toPage } from '../../common/pagination';
import { AuditEntryModel, auditPage } from './audit.repository';

/** Coordinators read the audit trail: every mutation, newest first. */
export async function auditTrail(
  ctx: RequestContext,
  args: { organisationId?: string | null; first?: number | null; after?: string | null },
): Promise<Page<AuditEntryModel>> {
  ctx.scope.requireRole('The audit trail', 'COORDINATOR');
  const size = pageSize(args.first);
  const cursor = decodeCursor(args.after, ['number']);
  const organisationId = args.organisationId ? idOf('Organisation', args.organisationId, 'organisationId') : null;
  const { rows, totalCount } = await auditPage(ctx.db, organisationId, cursor ? (cursor[0] as number) : null, size + 1);
  return toPage(rows, size, (row) => [Number(row.seq)], totalCount, cursor !== null);
}
