import type { Resolvers } from '../../generated/graphql';
import { toGlobalId } from '../../common/global-id';
import type { RequestContext } from '../../context';
import { onTypes, COMPONENT_TYPES } from '../../common/resolver-types';
import { reportStatus } from './report-status';
import { reportStatuses } from './report-statuses';
import { statusHistory } from './status.service';

export const statusResolvers: Resolvers = {
  ...onTypes(COMPONENT_TYPES, {
    statusHistory: (c: { id: string }, args: { first?: number | null; after?: string | null }, ctx: RequestContext) => statusHistory(ctx, c.id, args),
  }),
  Mutation: {
    reportStatus: async (_, { input }, ctx) => {
      const result = await reportStatus(ctx, input);
      return { statusReport: result.report, replayed: result.replayed, current: result.current, effectiveStatus: result.effectiveStatus };
    },
    reportStatuses: async (_, { input }, ctx) => {
      const results = await reportStatuses(ctx, input.reports);
      const count = (outcome: string) => results.filter((r) => r.outcome === outcome).length;
      return { results, accepted: count('ACCEPTED'), replayed: count('REPLAYED'), refused: count('REFUSED') };
    },
  },
  ReportStatusesResult: {
    statusReport: (r) => r.result?.report ?? null,
    current: (r) => r.result?.current ?? null,
    effectiveStatus: (r) => r.result?.effectiveStatus ?? null,
  },
  StatusReport: {
    id: (r) => toGlobalId('StatusReport', r.id),
    component: async (r, _, ctx) => (await ctx.loaders.componentById.load(r.componentId))!,
    reporter: async (r, _, ctx) => (await ctx.loaders.organisationById.load(r.reporterId))!,
  },
};
