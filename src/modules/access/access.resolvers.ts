import type { Resolvers } from '../../generated/graphql';
import { toGlobalId } from '../../common/global-id';
import { issueAccessToken, revokeAccessToken } from './access.service';

export const accessResolvers: Resolvers = {
  Query: {
    viewer: (_, __, ctx) => ctx.viewer,
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
  Viewer: {
    kind: (v) => (v.kind === 'public' ? 'PUBLIC' : 'ORGANISATION'),
    organisation: (v, _, ctx) => (v.kind === 'organisation' ? ctx.loaders.organisationById.load(v.organisationId) : null),
    role: (v) => (v.kind === 'organisation' ? v.role : null),
  },
};
