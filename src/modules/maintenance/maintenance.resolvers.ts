import type { Resolvers } from '../../generated/graphql';
import { toGlobalId } from '../../common/global-id';
import type { RequestContext } from '../../context';
import { COMPONENT_TYPES, onTypes } from '../../common/resolver-types';
import { cursorOf } from '../events';
import { stateOf } from './maintenance.models';
import type { MaintenanceChangeModel } from './maintenance.models';
import { noticeFor, readableComponentsOf, readableWindow } from './maintenance.sight';
import { maintenanceChanges } from './maintenance.subscription';
import { cancelMaintenance, scheduleMaintenance, updateMaintenance } from './maintenance.mutations';
import { listMaintenance, maintenanceNoticesFor } from './maintenance.service';

export const maintenanceResolvers: Resolvers = {
  ...onTypes(COMPONENT_TYPES, {
    maintenance: (c: { id: string }, _: unknown, ctx: RequestContext) => ctx.loaders.comingMaintenanceOf.load(c.id),
  }),
  Query: {
    maintenance: (_, args, ctx) => listMaintenance(ctx, args),
  },
  Municipality: {
    maintenance: (m, { days }, ctx) => maintenanceNoticesFor(ctx, m.id, days ?? 14),
  },
  MaintenanceNotice: {
    title: (n) => n.window.title,
    publicText: (n) => n.window.publicText,
    startsAt: (n) => n.window.startsAt,
    endsAt: (n) => n.window.endsAt,
    // The municipality's own services, public by delivery (as Municipality.services).
    services: async (n, _, ctx) => (await ctx.unguarded.componentById.loadMany(n.serviceIds)).flatMap((c) => (c && !(c instanceof Error) ? [c] : [])),
  },
  Mutation: {
    scheduleMaintenance: async (_, { input }, ctx) => ({ maintenanceWindow: await scheduleMaintenance(ctx, input) }),
    updateMaintenance: async (_, { input }, ctx) => ({ maintenanceWindow: await updateMaintenance(ctx, input) }),
    cancelMaintenance: async (_, { input }, ctx) => ({ maintenanceWindow: await cancelMaintenance(ctx, input) }),
  },
  MaintenanceWindow: {
    id: (w) => toGlobalId('MaintenanceWindow', w.id),
    // A payload speaks of the moment its write took (after the request began).
    state: (w, _, ctx) => stateOf(w, new Date(Math.max(ctx.now.getTime(), w.updatedAt.getTime()))),
    operator: async (w, _, ctx) => (await ctx.loaders.organisationById.load(w.operatorId))!,
    components: (w, _, ctx) => readableComponentsOf(ctx, w),
  },
  Subscription: {
    maintenanceChanged: {
      subscribe: (root, args, ctx) => maintenanceChanges(ctx, root, args),
      resolve: (payload: MaintenanceChangeModel) => payload,
    },
  },
  MaintenanceChange: {
    cursor: (m) => cursorOf(m.event),
    action: (m) => m.event.action,
    window: (m, _, ctx) => readableWindow(ctx, m.event.maintenanceId),
    notice: async (m, _, ctx) => {
      if (m.municipalityId === null) return null;
      const window = await ctx.unguarded.maintenanceById.load(m.event.maintenanceId);
      return window && noticeFor(ctx, window, m.municipalityId);
    },
    occurredAt: (m) => m.event.occurredAt,
  },
};
