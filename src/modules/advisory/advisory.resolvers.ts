import type { Resolvers } from '../../generated/graphql';
import { loadExisting } from '../../common/batch';
import { toGlobalId } from '../../common/global-id';
import { callList, exposure, findAdvisory, listAdvisories, remediationHistory, vulnerabilitiesOf } from './advisory.service';
import { revisionsOf } from './exposure';
import { publishAdvisory, recordRemediation, updateAdvisory, withdrawAdvisory } from './advisory.mutations';
import { importCsafAdvisory } from './csaf-import';
import type { Component } from '../component';

const gatewaysOf = (components: Component[]) => components.filter((c) => c.kind === 'GATEWAY');

export const advisoryResolvers: Resolvers = {
  Coordinator: {
    advisories: (o, args, ctx) => listAdvisories(ctx, { ...args, publisherId: o.id }),
  },
  Query: {
    advisories: (_, args, ctx) => listAdvisories(ctx, args),
    advisory: (_, { id }, ctx) => findAdvisory(ctx, id),
  },
  Mutation: {
    publishAdvisory: async (_, { input }, ctx) => ({ advisory: await publishAdvisory(ctx, input) }),
    importCsafAdvisory: (_, { input }, ctx) => importCsafAdvisory(ctx, input),
    updateAdvisory: (_, { input }, ctx) => updateAdvisory(ctx, input),
    withdrawAdvisory: async (_, { input }, ctx) => ({ advisory: await withdrawAdvisory(ctx, input) }),
    recordRemediation: (_, { input }, ctx) => recordRemediation(ctx, input),
  },
  Advisory: {
    id: (a) => toGlobalId('Advisory', a.id),
    publisher: async (a, _, ctx) => (await ctx.loaders.organisationById.load(a.publisherId))!,
    recipients: async (a, _, ctx) => loadExisting(ctx.loaders.organisationById, await ctx.loaders.recipientIdsByAdvisory.load(a.id)),
    revisions: async (a, _, ctx) => revisionsOf(a, await ctx.loaders.revisionsByAdvisory.load(a.id)),
    vulnerabilities: async (a, _, ctx) => vulnerabilitiesOf(a, await ctx.loaders.vulnerabilitiesByAdvisory.load(a.id)),
    csaf: (a) => (a.csafTrackingId === null ? null : a),
    affectedProducts: async (a, { status }, ctx) => (await ctx.loaders.affectedProductsByAdvisory.load(a.id)).filter((p) => !status || p.status === status),
    exposure: (a, { asOf }, ctx) => exposure(ctx, a, asOf ?? ctx.now),
    remediations: (a, { gatewayId, asOf }, ctx) => remediationHistory(ctx, a, gatewayId, asOf ?? ctx.now),
  },
  AffectedProduct: {
    vulnerability: (p) => p.cve,
    productId: (p) => p.productRef,
  },
  CsafSource: {
    namespace: (a) => a.csafNamespace!,
    trackingId: (a) => a.csafTrackingId!,
    version: (a) => a.csafVersion!,
    status: (a) => a.csafStatus!,
    category: (a) => a.csafCategory!,
    publisherName: (a) => a.csafPublisher!,
    currentReleaseDate: (a) => a.csafCurrentReleaseDate!,
    revisionHistory: (a) => a.csafRevisionHistory ?? [],
    document: async (a, _, ctx) => {
      const revisions = await ctx.loaders.revisionsByAdvisory.load(a.id);
      return revisions.find((r) => r.number === a.revision)?.document ?? '';
    },
  },
  AdvisoryRevision: {
    recordedBy: async (r, _, ctx) => (await ctx.loaders.organisationById.load(r.recordedById))!,
  },
  Exposure: {
    totalCount: (e) => e.components.length,
    byStatus: (e) => e.groups,
  },
  ExposureGroup: {
    count: (g) => g.components.length,
    gateways: (g) => gatewaysOf(g.components),
  },
  RemediationGroup: {
    count: (g) => g.components.length,
    gateways: (g) => gatewaysOf(g.components),
  },
  GatewayRemediation: {
    id: (r) => toGlobalId('GatewayRemediation', r.id),
    advisory: async (r, _, ctx) => (await ctx.loaders.advisoryById.load(r.advisoryId))!,
    gateway: async (r, _, ctx) => (await ctx.loaders.componentById.load(r.gatewayId))!,
    recordedBy: async (r, _, ctx) => (await ctx.loaders.organisationById.load(r.recordedById))!,
  },
  NationalOverview: {
    callList: (o, { advisoryId }, ctx) => callList(ctx, o.asOf, advisoryId),
  },
  CallListEntry: {
    gateway: (e) => e.exposed.component,
    operator: async (e, _, ctx) => (await ctx.loaders.organisationById.load(e.exposed.component.operatorId))!,
    status: (e) => e.exposed.status,
    remediation: (e) => e.exposed.remediation,
    matchedBy: (e) => e.exposed.matchedBy,
  },
};
