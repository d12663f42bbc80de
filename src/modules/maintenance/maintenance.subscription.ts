import type { RequestContext } from '../../context';
import { admittedOnly, busOf, eventContextOf, EventStream, followed, refuseIfPruned, replayKept, sinceOf } from '../events';
import type { ChangeEvent, FollowArgs, MaintenanceChangeEvent } from '../events';
import type { MaintenanceChangeModel } from './maintenance.models';
import { noticeFor, readableWindow } from './maintenance.sight';

export interface MaintenanceChangedArgs extends FollowArgs {
  since?: string | null;
}

/**
 * A `maintenanceChanged` subscription: what happens to announced windows (scheduled, updated,
 * cancelled, started, ended), by the rules of maintenance.sight.ts. Who may follow what is decided
 * once, as for `statusChanged` (the public may follow a municipality); which windows an event
 * concerns is read per event, in the context its resolvers get, so one batch's subscribers share
 * the reads:
 * - a municipality: the windows its services stand on (as `Municipality.maintenance`);
 * - a component: the windows on it;
 * - neither: the windows the caller may read whole.
 */
export async function maintenanceChanges(ctx: RequestContext, root: unknown, args: MaintenanceChangedArgs): Promise<AsyncIterableIterator<MaintenanceChangeModel>> {
  const bus = busOf(root);
  const since = sinceOf(args.since);
  // Refused at once, as the subscription's error; the replay checks again, should pruning overtake it.
  if (since !== null) await refuseIfPruned(ctx, since);
  const { municipalityId, componentId, wholePicture } = await followed(ctx, args, {
    component: 'Following the maintenance of this component', picture: 'Following maintenance without a municipalityCbsCode',
  });

  const stream = new EventStream<MaintenanceChangeModel>({
    bus,
    since,
    matches: (event: ChangeEvent) => event.kind === 'MAINTENANCE',
    // Which windows concern the subscriber is not stored with the events: every one is read.
    replay: (seq, limit) => replayKept(ctx, seq, { kind: 'MAINTENANCE' }, limit),
    toPayload: (event, batch) => ({ event: event as MaintenanceChangeEvent, batch, municipalityId }),
  });

  return admittedOnly(stream, async (payload) => {
    const eventCtx = eventContextOf(root, payload);
    if (wholePicture) return (await readableWindow(eventCtx, payload.event.maintenanceId)) !== null;
    const window = await eventCtx.unguarded.maintenanceById.load(payload.event.maintenanceId);
    if (!window) return false;
    if (componentId !== null && !window.componentIds.includes(componentId)) return false;
    return municipalityId === null || (await noticeFor(eventCtx, window, municipalityId)) !== null;
  });
}
