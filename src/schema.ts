import fs from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { GraphQLSchema, parse } from 'graphql';
import type { RequestContext } from './context';
import type { Resolvers } from './generated/graphql';
import { accessResolvers } from './modules/access/access.resolvers';
import { advisoryResolvers } from './modules/advisory/advisory.resolvers';
import { auditResolvers } from './modules/audit/audit.resolvers';
import { pictureResolvers } from './modules/picture/picture.resolvers';
import { DateScalar, DateTimeScalar } from './common/scalars';
import { federationResolvers } from './federation.resolvers';
import { nodeResolvers } from './node.resolvers';
import { componentResolvers } from './modules/component/component.resolvers';
import { consentResolvers } from './modules/consent/consent.resolvers';
import { subscriptionResolvers } from './modules/events/subscription.resolvers';
import { incidentResolvers } from './modules/incident/incident.resolvers';
import { organisationResolvers } from './modules/organisation/organisation.resolvers';
import { overviewResolvers } from './modules/overview/overview.resolvers';
import { statusResolvers } from './modules/status/status.resolvers';
import { webhookResolvers } from './modules/webhooks/webhook.resolvers';
import { maintenanceResolvers } from './modules/maintenance/maintenance.resolvers';

/** schema/ beside package.json, whether this runs from src/ (tests) or dist/src/ (npm start). */
function schemaDirectory(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'schema');
  }
  throw new Error(`No package.json above ${__dirname}`);
}

/** The SDL files, in a fixed order, as one document: the contract clients rely on. */
export function loadTypeDefs(): string {
  const directory = schemaDirectory();
  return fs
    .readdirSync(directory)
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => fs.readFileSync(path.join(directory, file), 'utf8'))
    .join('\n');
}

/** Every module's resolvers, merged type by type. Two modules defining one field is a bug, so it throws. */
export function mergeResolvers(parts: Resolvers[]): Resolvers {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const part of parts) {
    for (const [typeName, fields] of Object.entries(part)) {
      const target = (merged[typeName] ??= {});
      for (const [field, resolver] of Object.entries(fields as Record<string, unknown>)) {
        if (field in target) throw new Error(`Resolver ${typeName}.${field} is defined twice`);
        target[field] = resolver;
      }
    }
  }
  return merged as Resolvers;
}

export const resolvers: Resolvers = mergeResolvers([
  { DateTime: DateTimeScalar, Date: DateScalar } as Resolvers,
  nodeResolvers,
  organisationResolvers,
  componentResolvers,
  consentResolvers,
  statusResolvers,
  incidentResolvers,
  advisoryResolvers,
  overviewResolvers,
  accessResolvers,
  auditResolvers,
  pictureResolvers,
  subscriptionResolvers,
  webhookResolvers,
  maintenanceResolvers,
]);

/**
 * The executable schema, built here rather than by Apollo, because HTTP (Apollo) and WebSocket
 * subscriptions (graphql-ws, src/websocket.ts) must serve the same one.
 *
 * It is an Apollo Federation 2 subgraph (@apollo/subgraph): the SDL's `@key`s make its entities
 * extensible by partners' graphs, and it answers a gateway's `_service` (its SDL) and `_entities`
 * (src/federation.resolvers.ts). A gateway does not carry subscriptions; this same schema serves them
 * over WebSocket as before.
 */
export function createSchema(): GraphQLSchema {
  const all: GraphQLResolverMap<RequestContext> = { ...(resolvers as GraphQLResolverMap<RequestContext>), ...withReferences(resolvers, federationResolvers) };
  // @apollo/subgraph types its map for a context of `unknown`; ours is RequestContext throughout.
  return buildSubgraphSchema({ typeDefs: parse(loadTypeDefs()), resolvers: all as GraphQLResolverMap<unknown> });
}

/** Entity types have field resolvers already: each gets its __resolveReference added, never replaced. */
function withReferences(existing: Resolvers, references: typeof federationResolvers): GraphQLResolverMap<RequestContext> {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const [typeName, reference] of Object.entries(references)) {
    const fields = (existing as Record<string, Record<string, unknown> | undefined>)[typeName] ?? {};
    if ('__resolveReference' in fields) throw new Error(`${typeName}.__resolveReference is defined twice`);
    merged[typeName] = { ...fields, ...reference };
  }
  return merged as GraphQLResolverMap<RequestContext>;
}
