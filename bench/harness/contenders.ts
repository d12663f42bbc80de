import path from 'node:path';
import { ketenbeeldNodeFlags, POSTGRAPHILE_NODE, REPO, systemNode } from './paths';
import type { ServerSpec } from './server-process';

export type ContenderName = 'ketenbeeld' | 'postgraphile' | 'floor' | 'naive';

const BENCH_DIST = path.join(REPO, 'bench/dist/bench');

export const CONTENDER_TITLES: Record<ContenderName, string> = {
  ketenbeeld: 'ketenbeeld (Apollo + TypeORM + DataLoader, as users start it)',
  postgraphile: 'PostGraphile v5 (Amber preset, Node 22), W1-equivalent raw-graph query',
  floor: 'raw-SQL floor (one hand-written statement per workload, node:http)',
  naive: 'naive Apollo + TypeORM without DataLoader (N+1 on purpose)',
};

/**
 * The contenders' ports: BENCH_PORT_BASE (default 4100) and the next three; the public-pressure server
 * takes the fifth. A second run on the same machine (a helper's checkout) moves them all with it.
 */
export const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 4100);

/** How each contender is started: pinned to the server core, on its own port, against the same database. */
export function serverSpec(name: ContenderName, databaseUrl: string, core: number, cpuProfileDir?: string): ServerSpec {
  const pool = { DATABASE_POOL_SIZE: '10' };
  switch (name) {
    case 'ketenbeeld':
      return {
        name, core, port: PORT_BASE, command: systemNode(),
        args: [...ketenbeeldNodeFlags(), ...(cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : []), path.join(REPO, 'dist/src/main.js')],
        // The start command (with package.json's Node flags, as npm start and the container) in production mode, as docker-compose.yml deploys it and as every
        // other contender runs (graphql-js checks less per value there), plus the rate limits (requests
        // and work per minute, the public's per address too) moved out of the way: production guards that a saturation run would
        // trip by design (bench/harness/public-pressure.ts measures them at their defaults).
        // Everything else at ketenbeeld's defaults.
        env: { DATABASE_URL: databaseUrl, NODE_ENV: 'production', SEED_DEMO: 'never', PORT: String(PORT_BASE), RATE_LIMIT_PER_MINUTE: '100000000', RATE_LIMIT_BURST: '100000000', QUERY_COST_PER_MINUTE: '1000000000000', QUERY_COST_PER_MINUTE_PUBLIC: '1000000000000',
          WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_ADDRESSES: '127.0.0.1' },
      };
    case 'floor':
      return {
        name, core, port: PORT_BASE + 1, command: systemNode(), args: [path.join(BENCH_DIST, 'contenders/floor/server.js')],
        env: { ...pool, DATABASE_URL: databaseUrl, PORT: String(PORT_BASE + 1), NODE_ENV: 'production' },
      };
    case 'naive':
      return {
        name, core, port: PORT_BASE + 2, command: systemNode(), args: [path.join(BENCH_DIST, 'contenders/naive/server.js')],
        env: { ...pool, DATABASE_URL: databaseUrl, PORT: String(PORT_BASE + 2), NODE_ENV: 'production' },
      };
    case 'postgraphile':
      return {
        name, core, port: PORT_BASE + 3, command: POSTGRAPHILE_NODE,
        args: [path.join(BENCH_DIST, 'contenders/postgraphile/server.mjs')],
        env: { DATABASE_URL: databaseUrl, PORT: String(PORT_BASE + 3), NODE_ENV: 'production', GRAPHILE_ENV: 'production' },
      };
  }
}
