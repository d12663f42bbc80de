import type { RequestContext } from '../../context';
import { badInput } from '../../errors';
import { idOf } from '../../common/global-id';
import { connectionOf, decodeCursor, Page, pageSize } from '../../common/pagination';
import type { MaintenanceNoticeModel, MaintenanceWindowModel } from './maintenance.models';
import { noticesFor } from './maintenance.sight';
import { maintenanceRepository, MaintenanceListFilter } from './maintenance.repository';

export interface MaintenanceListArgs {
  from?: Date | null;
  to?: Date | null;
  componentIds?: string[] | null;
  includeCancelled?: boolean | null;
  first?: number | null;
  after?: string | null;
}

/**
 * Windows that overlap [from, to) (default: from now on, that is current and upcoming), by start,
 * on components the caller may read (a coordinator: all).
 */
export async function listMaintenance(ctx: RequestContext, args: MaintenanceListArgs): Promise<Page<MaintenanceWindowModel>> {
  ctx.scope.requireOrganisation('The maintenance list');
  const size = pageSize(args.first);
  const cursor = decodeCursor(args.after, ['timestamp', 'uuid']) as [string, string] | null;
  const filter: MaintenanceListFilter = {
    from: args.from ?? ctx.now,
    to: args.to ?? null,
    componentIds: args.componentIds ? args.componentIds.map((id) => idOf('Component', id, 'componentIds')) : null,
    includeCancelled: args.includeCancelled ?? false,
  };
  if (filter.to !== null && filter.to.getTime() <= filter.from.getTime()) throw badInput('to must lie after from', 'to');
  if ((filter.componentIds?.length ?? 0) > 500) throw badInput('At most 500 componentIds', 'componentIds');
  const visible = ctx.scope.isCoordinator ? null : [...(await ctx.scope.visibleComponentIds())];
  const [rows, totalCount] = await Promise.all([
    maintenanceRepository.page(ctx.db, filter, visible, cursor, size + 1),
    maintenanceRepository.count(ctx.db, filter, visible),
  ]);
  return connectionOf(rows.slice(0, size), rows.length > size, (w) => [w.startsAt.toISOString(), w.id], totalCount, cursor !== null);
}

/**
 * The maintenance a municipality's residents should know of (public, like its services' availability):
 * windows not cancelled and not over, beginning within `days`, as its residents feel them
 * (maintenance.sight.ts: on anything its services stand on today, each with those services).
 */
export async function maintenanceNoticesFor(ctx: RequestContext, municipalityId: string, days: number): Promise<MaintenanceNoticeModel[]> {
  if (!Number.isInteger(days) || days < 0 || days > 60) throw badInput('days must be 0 to 60', 'days');
  const windows = await maintenanceRepository.upcoming(ctx.db, ctx.now, new Date(ctx.now.getTime() + days * 86_400_000));
  return noticesFor(ctx, windows, municipalityId);
}
