import type { Resolvers } from '../../generated/graphql';
import { toGlobalId } from '../../common/global-id';
import { auditTrail, issueAccessToken, revokeAccessToken } from './access.service';
import type { GlobalIdType } from '../../common/global-id';

export const accessResolvers: Resolvers = {
  Query: {
    viewer: (_, __, ctx) => ctx.viewer,
    auditTrail: (_, args, ctx) => auditTrail(ctx, args),
  },
  Mutation: {
    issueAccessToken: async (_, { input }, ctx) => {
      const issued = await issueAccessToken(ctx, input);
      return { token: issued.secret, accessToken: issued.token };
    },
    revokeAccessToken: async (_, { input }, ctx) => ({ accessToken: await revokeAccessToken(ctx, input) }),
  },
  AccessToken: {
    id: (t) => toGlobalId('AccessToken', t.id),
    organisation: async (t, _, ctx) => (await ctx.loaders.organisationById.load(t.organisationId))!,
  },
  AuditEntry: {
    organisation: async (e, _, ctx) => (await ctx.loaders.organisationById.load(e.organisationId))!,
    entityId: (e) => toGlobalId(e.entityType as GlobalIdType, e.entityId),
  },
  Viewer: {
    kind: (v) => (v.kind === 'public' ? 'PUBLIC' : 'ORGANISATION'),
    organisation: (v, _, ctx) => (v.kind === 'organisation' ? ctx.loaders.organisationById.load(v.organisationId) : null),
    role: (v) => (v.kind === 'organisation' ? v.role : null),
  },
};
