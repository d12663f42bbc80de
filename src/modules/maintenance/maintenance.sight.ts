import type { RequestContext } from '../../context';
import { isRefusal } from '../../errors';
import type { Component } from '../component';
import { standingOnAt } from '../picture';
import type { MaintenanceNoticeModel, MaintenanceWindowModel } from './maintenance.models';

/**
 * Who sees an announced maintenance window, and in what form: the one rule for everything that
 * shows windows (MaintenanceWindow reads and `node(id:)`, `Municipality.maintenance`, the
 * `maintenanceChanged` subscription, the webhook kind `maintenance.changed`).
 *
 * - **Whole** (`MaintenanceWindow`): to whoever may read the details of one of its components (the
 *   guarded loader `maintenanceById` asks `AccessScope.mayReadComponentDetails`), naming only the
 *   components the reader may read (the guarded `componentById`).
 * - **As a municipality's residents feel it** (`MaintenanceNotice`, public like availability): the
 *   title, the public text and the times, with the municipality's services that stand on it today;
 *   never what it is on. A municipality none of whose services stand on it is told nothing.
 */

/** The window, when the reader may read it whole; null when not (or when there is none). */
export async function readableWindow(ctx: RequestContext, maintenanceId: string): Promise<MaintenanceWindowModel | null> {
  try {
    return await ctx.loaders.maintenanceById.load(maintenanceId);
  } catch (error) {
    if (isRefusal(error)) return null;
    throw error;
  }
}

/** The window's components the reader may read. */
export async function readableComponentsOf(ctx: RequestContext, window: MaintenanceWindowModel): Promise<Component[]> {
  const loaded = await ctx.loaders.componentById.loadMany(window.componentIds);
  return loaded.flatMap((c) => {
    if (c instanceof Error) {
      if (isRefusal(c)) return [];
      throw c;
    }
    return c ? [c] : [];
  });
}

/** The windows as one municipality's residents feel them, in the order given; those none of its services stand on are left out. */
export async function noticesFor(ctx: RequestContext, windows: readonly MaintenanceWindowModel[], municipalityId: string): Promise<MaintenanceNoticeModel[]> {
  if (windows.length === 0) return [];
  const serviceIds = (await ctx.unguarded.servicesNow.load(municipalityId)).map((row) => row.componentId);
  if (serviceIds.length === 0) return [];
  const roots = [...new Set(windows.flatMap((window) => window.componentIds))];
  const standing = new Map<string, string[]>();
  for (const pair of await standingOnAt(ctx.db, roots, serviceIds, ctx.now)) standing.set(pair.root, [...(standing.get(pair.root) ?? []), pair.id]);
  return windows
    .map((window) => ({ window, serviceIds: [...new Set(window.componentIds.flatMap((id) => standing.get(id) ?? []))] }))
    .filter((notice) => notice.serviceIds.length > 0);
}

/**
 * Loaders are shared by the subscribers of one batch of events (src/websocket.ts), so each window is
 * placed once per municipality per batch, however many follow that municipality.
 */
const noticesOfLoaders = new WeakMap<object, Map<string, Promise<MaintenanceNoticeModel | null>>>();

/** One window as one municipality's residents feel it; null when none of its services stand on it. */
export function noticeFor(ctx: RequestContext, window: MaintenanceWindowModel, municipalityId: string): Promise<MaintenanceNoticeModel | null> {
  let known = noticesOfLoaders.get(ctx.unguarded);
  if (!known) noticesOfLoaders.set(ctx.unguarded, (known = new Map()));
  const key = `${window.id}/${window.revision}/${municipalityId}`;
  let notice = known.get(key);
  if (!notice) {
    notice = noticesFor(ctx, [window], municipalityId).then((notices) => notices[0] ?? null);
    known.set(key, notice);
  }
  return notice;
}
