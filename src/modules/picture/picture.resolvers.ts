import type { Resolvers } from '../../generated/graphql';
import { loadExisting } from '../../common/batch';
import type { RequestContext } from '../../context';
import type { EffectiveStatusModel } from './picture.models';
import { onTypes, COMPONENT_TYPES } from '../../common/resolver-types';
import { effectiveStatusOf, servicesOfMunicipality, uptimeOf } from './picture.service';

function rootCauseReport(model: EffectiveStatusModel, ctx: RequestContext) {
  return model.rootCauseReportId ? ctx.loaders.statusReportById.load(model.rootCauseReportId) : null;
}

export const pictureResolvers: Resolvers = {
  ...onTypes(COMPONENT_TYPES, {
    effectiveStatus: (c: { id: string }, { asOf }: { asOf?: Date | null }, ctx: RequestContext) => effectiveStatusOf(ctx, c.id, asOf ?? null),
  }),
  Municipality: {
    services: (o, { asOf }, ctx) => servicesOfMunicipality(ctx, o.id, asOf ?? null),
  },
  EffectiveStatus: {
    rootCause: (m, _, ctx) => loadExisting(ctx.loaders.componentById, m.rootCause),
    rootCauseReport: (m, _, ctx) => rootCauseReport(m, ctx),
  },
  ServiceAvailability: {
    service: (m, _, ctx) => m.service ?? ctx.loaders.componentById.load(m.serviceId).then((c) => c!),
    municipality: (m, _, ctx) => m.municipality ?? ctx.loaders.organisationById.load(m.municipalityId).then((o) => o!),
    rootCause: (m, _, ctx) => loadExisting(ctx.loaders.componentById, m.rootCause),
    rootCauseReport: (m, _, ctx) => rootCauseReport(m, ctx),
    uptime: (m, { from, to }, ctx) => uptimeOf(ctx, m, from, to),
  },
};
