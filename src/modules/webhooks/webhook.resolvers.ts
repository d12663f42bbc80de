import type { Resolvers } from '../../generated/graphql';
import { loadExisting } from '../../common/batch';
import { toGlobalId } from '../../common/global-id';
import {
  createWebhookEndpoint, deleteWebhookEndpoint, deliveryLog, listWebhookEndpoints, redeliverWebhook, rotateWebhookSecret,
  setWebhookEndpointEnabled, updateWebhookEndpoint,
} from './webhook.service';

export const webhookResolvers: Resolvers = {
  Query: {
    webhookEndpoints: (_, args, ctx) => listWebhookEndpoints(ctx, args),
  },
  Mutation: {
    createWebhookEndpoint: async (_, { input }, ctx) => {
      const { endpoint, secret } = await createWebhookEndpoint(ctx, input);
      return { webhookEndpoint: endpoint, secret };
    },
    updateWebhookEndpoint: async (_, { input }, ctx) => ({ webhookEndpoint: await updateWebhookEndpoint(ctx, input) }),
    rotateWebhookSecret: async (_, { input }, ctx) => {
      const { endpoint, secret } = await rotateWebhookSecret(ctx, input);
      return { webhookEndpoint: endpoint, secret };
    },
    disableWebhookEndpoint: async (_, { input }, ctx) => ({ webhookEndpoint: await setWebhookEndpointEnabled(ctx, input, false) }),
    enableWebhookEndpoint: async (_, { input }, ctx) => ({ webhookEndpoint: await setWebhookEndpointEnabled(ctx, input, true) }),
    deleteWebhookEndpoint: async (_, { input }, ctx) => ({ deletedId: await deleteWebhookEndpoint(ctx, input) }),
    redeliverWebhook: async (_, { input }, ctx) => ({ delivery: await redeliverWebhook(ctx, input) }),
  },
  WebhookEndpoint: {
    id: (e) => toGlobalId('WebhookEndpoint', e.id),
    organisation: async (e, _, ctx) => (await ctx.loaders.organisationById.load(e.ownerId))!,
    filter: (e) => e,
    deliveries: (e, args, ctx) => deliveryLog(ctx, e, args),
  },
  WebhookFilter: {
    municipalities: (e, _, ctx) => loadExisting(ctx.loaders.organisationById, e.municipalityIds),
    // Components the owner may no longer read are left out of what it is shown (they still narrow).
    components: async (e, _, ctx) => (await ctx.loaders.componentById.loadMany(e.componentIds)).flatMap((c) => (c && !(c instanceof Error) ? [c] : [])),
    kinds: (e) => e.eventKinds as ('STATUS_CHANGED' | 'INCIDENT_UPDATED')[],
  },
  WebhookDelivery: {
    id: (d) => toGlobalId('WebhookDelivery', d.id),
    redeliveryOf: (d, _, ctx) => (d.redeliveryOf ? ctx.loaders.webhookDeliveryById.load(d.redeliveryOf) : null),
  },
};
