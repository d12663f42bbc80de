import fs from 'node:fs';
import path from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import type { Resolvers } from './generated/graphql';
import { accessResolvers } from './modules/access/access.resolvers';
import { advisoryResolvers } from './modules/advisory/advisory.resolvers';
import { auditResolvers } from './modules/audit/audit.resolvers';
import { pictureResolvers } from './modules/picture/picture.resolvers';
import { DateScalar, DateTimeScalar } from './common/scalars';
import { nodeResolvers } from './node.resolvers';
import { componentResolvers } from './modules/component/component.resolvers';
import { subscriptionResolvers } from './modules/events/subscription.resolvers';
import { incidentResolvers } from './modules/incident/incident.resolvers';
import { organisationResolvers } from './modules/organisation/organisation.resolvers';
import { overviewResolvers } from './modules/overview/overview.resolvers';
import { statusResolvers } from './modules/status/status.resolvers';

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
  statusResolvers,
  incidentResolvers,
  advisoryResolvers,
  overviewResolvers,
  accessResolvers,
  auditResolvers,
  pictureResolvers,
  subscriptionResolvers,
]);

/**
 * The executable schema, built here rather than by Apollo, because HTTP (Apollo) and WebSocket
 * subscriptions (graphql-ws, src/websocket.ts) must serve the same one.
 */
export function createSchema(): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers: resolvers as Parameters<typeof makeExecutableSchema>[0]['resolvers'] });
}
