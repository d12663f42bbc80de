import type { Resolvers } from '../../generated/graphql';
import type { RequestContext } from '../../context';
import type { EffectiveStatusModel } from './picture.models';
import { onTypes, COMPONENT_TYPES } from '../../common/resolver-types';
import { selectsAnyOf } from '../../common/selection';
import { effectiveStatusOf, readableRootCause, servicesOfMunicipality, uptimeOf } from './picture.service';

async function rootCauseReport(model: EffectiveStatusModel, ctx: RequestContext) {
  const { reportId } = await readableRootCause(ctx, model);
  return reportId ? ctx.loaders.statusReportById.load(reportId) : null;
}

export const pictureResolvers: Resolvers = {
  ...onTypes(COMPONENT_TYPES, {
    effectiveStatus: (c: { id: string }, { asOf }: { asOf?: Date | null }, ctx: RequestContext) => effectiveStatusOf(ctx, c.id, asOf ?? null),
  }),
  Municipality: {
    services: (o, { asOf }, ctx, info) => servicesOfMunicipality(ctx, o.id, asOf ?? null, selectsAnyOf(info, ['rootCause', 'rootCauseReport'])),
  },
  EffectiveStatus: {
    rootCause: async (m, _, ctx) => (await readableRootCause(ctx, m)).path,
    rootCauseReport: (m, _, ctx) => rootCauseReport(m, ctx),
  },
  ServiceAvailability: {
    service: (m, _, ctx) => m.service ?? ctx.loaders.componentById.load(m.serviceId).then((c) => c!),
    municipality: (m, _, ctx) => m.municipality ?? ctx.loaders.organisationById.load(m.municipalityId).then((o) => o!),
    // Most services are fine: an empty path is answered at once, without a promise per row.
    rootCause: (m, _, ctx) => (m.rootCause.length === 0 ? [] : readableRootCause(ctx, m).then((readable) => readable.path)),
    rootCauseReport: (m, _, ctx) => rootCauseReport(m, ctx),
    uptime: (m, { from, to }, ctx) => uptimeOf(ctx, m, from, to),
  },
};
