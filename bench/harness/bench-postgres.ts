import { createHash } from 'node:crypto';
import path from 'node:path';
import { PostgresCluster, reachableByServer } from '../../tools/postgres-cluster';
import { REPO } from './paths';

/**
 * The benchmark's own PostgreSQL cluster (initdb on its own port and directory), so a run never
 * touches the machine's main cluster: pg_stat_statements must be preloaded, which needs a server
 * start, and the datasets are large. Created on first use, reused by later runs (the datasets stay),
 * removed on request: `npm run bench:postgres -- stop | remove | url`.
 *
 * BENCH_PG_URL points the benchmark at another server instead (its settings are then its own).
 */
export const BENCH_PG_PORT = Number(process.env.BENCH_PG_PORT ?? 5499);
/**
 * In the repository (bench/.postgres, ignored by git) when the server's user can reach it; else
 * (as root in a checkout under a private directory) in /var/tmp, one per checkout.
 */
const BENCH_PG_DIR = process.env.BENCH_PG_DIR
  ?? (reachableByServer(path.join(REPO, 'bench'))
    ? path.join(REPO, 'bench/.postgres')
    : `/var/tmp/ketenbeeld-bench-postgres-${createHash('sha256').update(REPO).digest('hex').slice(0, 8)}`);

/**
 * Settings of the runs so far, which used the machine's cluster (shared_buffers, autovacuum off),
 * plus statement statistics. Every contender gets the same server.
 */
const SETTINGS = {
  shared_preload_libraries: 'pg_stat_statements',
  'pg_stat_statements.track': 'top',
  max_connections: 200,
  shared_buffers: '128MB',
  autovacuum: 'off',
  TimeZone: 'Etc/UTC',
};

const cluster = new PostgresCluster({ dir: BENCH_PG_DIR, port: BENCH_PG_PORT, settings: SETTINGS });

/** The server URL without a database, as the generator builds its URLs. */
export function benchServerUrl(): string {
  return process.env.BENCH_PG_URL ?? `postgres://postgres@127.0.0.1:${BENCH_PG_PORT}`;
}

/** Creates the cluster if needed and starts it if it is not running. Does nothing under BENCH_PG_URL. */
export async function startBenchPostgres(log: (line: string) => void): Promise<void> {
  if (process.env.BENCH_PG_URL) return;
  if (!cluster.initialised) {
    log(`postgres: creating the benchmark's cluster in ${BENCH_PG_DIR} (port ${BENCH_PG_PORT})`);
    await cluster.init();
  }
  if (!cluster.running) {
    log(`postgres: starting the benchmark's cluster on port ${BENCH_PG_PORT}`);
    await cluster.start();
  }
}

async function main(): Promise<void> {
  const command = process.argv[2] ?? 'start';
  const log = (line: string) => console.log(line);
  switch (command) {
    case 'start':
      await startBenchPostgres(log);
      console.log(benchServerUrl());
      return;
    case 'url':
      console.log(benchServerUrl());
      return;
    case 'stop':
      if (cluster.initialised && cluster.running) await cluster.stop('fast');
      return;
    case 'remove':
      await cluster.remove();
      log(`removed ${BENCH_PG_DIR}`);
      return;
    default:
      throw new Error('usage: npm run bench:postgres -- start | stop | remove | url');
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
