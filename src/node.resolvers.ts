import type { Resolvers } from './generated/graphql';
import type { RequestContext } from './context';
import { notFound } from './errors';
import { Advisory, GatewayRemediation } from './modules/advisory/advisory.entity';
import { Component, Dependency } from './modules/component/component.entity';
import { componentTypeName } from './modules/component/component.resolvers';
import { Incident, IncidentUpdate } from './modules/incident/incident.entity';
import { Membership, Organisation } from './modules/organisation/organisation.entity';
import { organisationTypeName } from './modules/organisation/organisation.resolvers';
import { StatusReport } from './modules/status/status-report.entity';
import { RelationRequest } from './modules/consent/relation-request.entity';
import { MaintenanceWindow } from './modules/maintenance/maintenance.models';
import { GlobalIdType, parseGlobalId } from './common/global-id';

export type NodeModel = Organisation | Membership | Component | Dependency | StatusReport | Incident | IncidentUpdate | Advisory | GatewayRemediation | RelationRequest | MaintenanceWindow;

/** The one way to an entity by its id, guarded: `node(id:)` and the federated `_entities` (src/federation.resolvers.ts). */
export function loadNode(ctx: RequestContext, type: GlobalIdType, id: string): Promise<NodeModel | null> {
  switch (type) {
    case 'Organisation': return ctx.loaders.organisationById.load(id);
    case 'Membership': return ctx.loaders.membershipById.load(id);
    case 'Component': return ctx.loaders.componentById.load(id);
    case 'Dependency': return ctx.loaders.dependencyById.load(id);
    case 'StatusReport': return ctx.loaders.statusReportById.load(id);
    case 'Incident': return ctx.loaders.incidentById.load(id);
    case 'IncidentUpdate': return ctx.loaders.incidentUpdateById.load(id);
    case 'Advisory': return ctx.loaders.advisoryById.load(id);
    case 'GatewayRemediation': return ctx.loaders.remediationById.load(id);
    case 'RelationRequest': return ctx.loaders.relationRequestById.load(id);
    case 'MaintenanceWindow': return ctx.loaders.maintenanceById.load(id);
    // Token records are not graph nodes: they are reached through the token mutations only.
    case 'AccessToken': return Promise.resolve(null);
    // Webhook endpoints hold a secret's use: reached through webhookEndpoints, by their owner only.
    case 'WebhookEndpoint':
    case 'WebhookDelivery': return Promise.resolve(null);
  }
}

/** The GraphQL type of a loaded entity, decided by its class and kind (never by guessing at fields). */
function nodeTypeName(node: NodeModel) {
  if (node instanceof Organisation) return organisationTypeName(node);
  if (node instanceof Component) return componentTypeName(node);
  if (node instanceof Membership) return 'Membership' as const;
  if (node instanceof Dependency) return 'Dependency' as const;
  if (node instanceof StatusReport) return 'StatusReport' as const;
  if (node instanceof Incident) return 'Incident' as const;
  if (node instanceof IncidentUpdate) return 'IncidentUpdate' as const;
  if (node instanceof Advisory) return 'Advisory' as const;
  if (node instanceof GatewayRemediation) return 'GatewayRemediation' as const;
  if (node instanceof RelationRequest) return 'RelationRequest' as const;
  if (node instanceof MaintenanceWindow) return 'MaintenanceWindow' as const;
  throw new TypeError('Node of an unknown class');
}

export const nodeResolvers: Resolvers = {
  Query: {
    node: async (_, { id }, ctx) => {
      const { type, id: uuid } = parseGlobalId(id);
      const node = await loadNode(ctx, type, uuid);
      if (!node) throw notFound(`No ${type} with id ${id}`, 'id');
      return node;
    },
  },
  Node: {
    __resolveType: (node) => nodeTypeName(node as NodeModel),
  },
};
