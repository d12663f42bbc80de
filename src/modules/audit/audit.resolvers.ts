import type { Resolvers } from '../../generated/graphql';
import { toGlobalId } from '../../common/global-id';
import type { GlobalIdType } from '../../common/global-id';
import { auditTrail } from './audit.service';

export const auditResolvers: Resolvers = {
  Query: {
    auditTrail: (_, args, ctx) => auditTrail(ctx, args),
  },
  AuditEntry: {
    organisation: async (e, _, ctx) => (await ctx.loaders.organisationById.load(e.organisationId))!,
    entityId: (e) => toGlobalId(e.entityType as GlobalIdType, e.entityId),
  },
};
