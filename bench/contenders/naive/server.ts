import 'reflect-metadata';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { DataSource } from 'typeorm';
import { createDataSource } from '../../../src/db/data-source';
import { toGlobalId } from '../../../src/common/global-id';
import { Component } from '../../../src/modules/component/component.entity';
import { ServiceDelivery } from '../../../src/modules/component/component.entity';
import { Organisation } from '../../../src/modules/organisation/organisation.entity';
import { evaluateService, Evaluation } from './evaluate';
import { NAIVE_SCHEMA } from './schema';

/**
 * W1 the way a first version often looks: Apollo + TypeORM, a resolver per field, each fetching what
 * it needs when it needs it, no DataLoader. One query per service for the service, two per service
 * for its status, one per component on each root-cause path: the N+1 shape, on purpose, to show
 * what batching buys.
 *
 * `DATABASE_URL=... PORT=... node bench/dist/bench/contenders/naive/server.js`
 */
interface Availability {
  serviceId: string;
  now: Date;
  evaluation?: Promise<Evaluation>;
}

function evaluation(db: DataSource, parent: Availability): Promise<Evaluation> {
  // Remembered on the parent object so the four status fields do not evaluate four times.
  parent.evaluation ??= evaluateService(db, parent.serviceId, parent.now);
  return parent.evaluation;
}

async function main(): Promise<void> {
  const db = createDataSource({ url: process.env.DATABASE_URL!, poolSize: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
  await db.initialize();
  const resolvers = {
    Query: {
      municipality: (_: unknown, args: { cbsCode: string }) =>
        db.getRepository(Organisation).findOneBy({ cbsCode: args.cbsCode, kind: 'MUNICIPALITY' }),
    },
    Municipality: {
      id: (m: Organisation) => toGlobalId('Organisation', m.id),
      services: async (m: Organisation): Promise<Availability[]> => {
        const deliveries = await db.getRepository(ServiceDelivery).findBy({ municipalityId: m.id });
        const now = new Date();
        return deliveries.map((d) => ({ serviceId: d.serviceId, now }));
      },
    },
    ServiceAvailability: {
      service: (a: Availability) => db.getRepository(Component).findOneByOrFail({ id: a.serviceId }),
      status: async (a: Availability) => (await evaluation(db, a)).effective.status,
      cause: async (a: Availability) => (await evaluation(db, a)).effective.cause,
      since: async (a: Availability) => (await evaluation(db, a)).since?.toISOString() ?? null,
      rootCause: async (a: Availability) => {
        const path = (await evaluation(db, a)).effective.rootCause;
        return Promise.all(path.map((id) => db.getRepository(Component).findOneByOrFail({ id })));
      },
    },
    Service: { id: (c: Component) => toGlobalId('Component', c.id) },
    Component: { id: (c: Component) => toGlobalId('Component', c.id) },
  };
  const server = new ApolloServer({ typeDefs: NAIVE_SCHEMA, resolvers });
  const { url } = await startStandaloneServer(server, { listen: { port: Number(process.env.PORT ?? 4102), host: '127.0.0.1' } });
  console.log(`naive listening on ${url}`);
  process.on('SIGTERM', () => void server.stop().then(() => db.destroy()).then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
