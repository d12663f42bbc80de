import type { Resolvers } from '../../generated/graphql';
import { loadExisting } from '../../common/batch';
import { toGlobalId } from '../../common/global-id';
import { EffectiveStatusModel } from './status.models';
import { checkWindow } from './status.service';
import { reportStatus } from './report-status';
import type { RequestContext } from '../../context';

function since(model: EffectiveStatusModel): Date | null {
  return model.timeline ? model.timeline.since(model.effective.componentId, model.asOf) : null;
}

function rootCauseReport(model: EffectiveStatusModel, ctx: RequestContext) {
  const report = model.effective.rootCauseReport;
  return report ? ctx.loaders.statusReportById.load(report.id) : null;
}

export const statusResolvers: Resolvers = {
  Mutation: {
    reportStatus: async (_, { input }, ctx) => {
      const result = await reportStatus(ctx, input);
      return { statusReport: result.report, replayed: result.replayed, current: result.current, effectiveStatus: result.effective };
    },
  },
  StatusReport: {
    id: (r) => toGlobalId('StatusReport', r.id),
    component: async (r, _, ctx) => (await ctx.loaders.componentById.load(r.componentId))!,
    reporter: async (r, _, ctx) => (await ctx.loaders.organisationById.load(r.reporterId))!,
  },
  EffectiveStatus: {
    status: (m) => m.effective.status,
    cause: (m) => m.effective.cause,
    since: (m) => since(m),
    stale: (m) => m.effective.stale,
    staleSince: (m) => m.effective.ownStaleSince,
    rootCause: (m, _, ctx) => loadExisting(ctx.loaders.componentById, m.effective.rootCause),
    rootCauseReport: (m, _, ctx) => rootCauseReport(m, ctx),
  },
  ServiceAvailability: {
    service: (m, _, ctx) => m.service ?? ctx.loaders.componentById.load(m.serviceId).then((c) => c!),
    municipality: (m, _, ctx) => m.municipality ?? ctx.loaders.organisationById.load(m.municipalityId).then((o) => o!),
    status: (m) => m.effective.status,
    cause: (m) => m.effective.cause,
    since: (m) => since(m),
    stale: (m) => m.effective.stale,
    rootCause: (m, _, ctx) => loadExisting(ctx.loaders.componentById, m.effective.rootCause),
    rootCauseReport: (m, _, ctx) => rootCauseReport(m, ctx),
    uptime: (m, { from, to }) => {
      checkWindow(from, to);
      return m.timeline ? m.timeline.uptime(m.serviceId, from, to, m.asOf) : null;
    },
  },
};
