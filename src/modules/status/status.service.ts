import type { RequestContext } from '../../context';
import { badInput } from '../../errors';
import { loadExisting } from '../../common/batch';
import { connectionOf, decodeCursor, Page, pageSize } from '../../common/pagination';
import { ServiceAvailabilityModel } from './status.models';
import { ComponentStatus, StatusReport } from './status-report.entity';

/**
 * Every service delivered to a municipality, judged at `asOf`, in the order of their names.
 * Availability per municipality is public (api.md, "Access"), so it is computed through the
 * unguarded loaders: a resident may learn that the counter is down, not which gateway took it down
 * (`rootCause` goes through the guarded loaders and is refused to those outside the picture).
 */
export async function servicesOfMunicipality(ctx: RequestContext, municipalityId: string, asOf: Date): Promise<ServiceAvailabilityModel[]> {
  const services = await ctx.unguarded.servicesByMunicipality.load(municipalityId);
  const pictures = await ctx.unguarded.effectiveStatusAt(asOf).loadMany(services.map((s) => s.id));
  return pictures.map((picture, i) => {
    if (picture instanceof Error) throw picture;
    return { ...picture, serviceId: services[i].id, municipalityId };
  });
}

/** Effective status at a moment for many components: one graph query for all of them. */
export async function effectiveStatusesAt(ctx: RequestContext, ids: string[], asOf: Date): Promise<Map<string, ComponentStatus>> {
  const pictures = await ctx.loaders.effectiveStatusAt(asOf).loadMany(ids);
  const statuses = new Map<string, ComponentStatus>();
  pictures.forEach((picture, i) => {
    if (picture instanceof Error) throw picture;
    statuses.set(ids[i], picture.effective.status);
  });
  return statuses;
}

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

export function checkWindow(from: Date, to: Date): void {
  if (from.getTime() >= to.getTime()) throw badInput('from must be before to', 'from');
}
