import type { RequestContext } from '../../context';
import { loadExisting } from '../../common/batch';
import { connectionOf, decodeCursor, Page, pageSize } from '../../common/pagination';
import { StatusReport } from './status-report.entity';

/** A component's reports, newest observation first: batched across components. */
export async function statusHistory(
  ctx: RequestContext,
  componentId: string,
  args: { first?: number | null; after?: string | null },
): Promise<Page<StatusReport>> {
  const size = pageSize(args.first);
  const cursor = decodeCursor(args.after, ['timestamp', 'number']);
  const after = cursor ? { observedAt: cursor[0] as string, seq: cursor[1] as number } : null;
  const page = await ctx.loaders.statusHistoryPage.load({ parentId: componentId, limit: size, after });
  const reports = await loadExisting(ctx.loaders.statusReportById, page.ids);
  return connectionOf(reports, page.hasNextPage, (row) => [row.observedAt.toISOString(), Number(row.seq)], page.totalCount, cursor !== null);
}
