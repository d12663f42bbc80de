import { execFileSync } from 'node:child_process';
import { Client } from 'pg';
import { databaseUrl, withAdmin } from '../generator/load';
import { startBenchPostgres } from './bench-postgres';

export { withAdmin };

/**
 * pg_stat_statements counts the SQL statements each contender sends. It must be preloaded, which
 * the benchmark's own cluster is configured to do (bench-postgres.ts); this starts that cluster
 * and creates the extension. The machine's main cluster is never touched.
 * Returns null when available, otherwise why not.
 */
export async function ensureStatementStatistics(log: (line: string) => void): Promise<string | null> {
  // Without its server the benchmark cannot run at all: a failure to start it stops the run here.
  await startBenchPostgres(log);
  try {
    const preload = await withAdmin(async (admin) => (await admin.query<{ v: string }>(`SELECT current_setting('shared_preload_libraries') AS v`)).rows[0].v);
    if (!preload.split(',').map((s) => s.trim()).includes('pg_stat_statements')) {
      return 'pg_stat_statements is not preloaded on the server BENCH_PG_URL names';
    }
    await withAdmin((admin) => admin.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements'));
    return null;
  } catch (error) {
    return `pg_stat_statements unavailable: ${error instanceof Error ? error.message : String(error)}`;
  }
}

export async function resetStatementStatistics(): Promise<void> {
  await withAdmin((admin) => admin.query('SELECT pg_stat_statements_reset()'));
}

/** Statements run in `database` since the last reset, not counting transaction control and settings. */
export async function statementCount(database: string): Promise<number> {
  return withAdmin(async (admin) => {
    const { rows } = await admin.query<{ n: string }>(
      `SELECT coalesce(sum(s.calls), 0) AS n
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
       WHERE d.datname = $1
         AND s.query !~* '^\\s*(BEGIN|COMMIT|ROLLBACK|START|SET|RESET|SAVEPOINT|RELEASE|SHOW|DISCARD|DEALLOCATE)'`,
      [database]);
    return Number(rows[0].n);
  });
}

/** The statements run in `database` since the last reset, most called first: what a reviewer wants to see. */
export async function statementList(database: string, limit: number): Promise<{ calls: number; query: string }[]> {
  return withAdmin(async (admin) => {
    const { rows } = await admin.query<{ calls: string; query: string }>(
      `SELECT s.calls, s.query FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
       WHERE d.datname = $1 AND s.query !~* '^\\s*(BEGIN|COMMIT|ROLLBACK|START|SET|RESET|SAVEPOINT|RELEASE|SHOW|DISCARD|DEALLOCATE)'
       ORDER BY s.calls DESC, s.total_exec_time DESC LIMIT $2`,
      [database, limit]);
    return rows.map((r) => ({ calls: Number(r.calls), query: r.query.replace(/\s+/g, ' ').slice(0, 240) }));
  });
}

/**
 * Settings every contender gets alike: no JIT (it compiles for seconds when a recursive CTE's row
 * estimate is huge), no parallel workers (they would escape the one core the server side has), and
 * enough work_mem that a national-scale aggregate sorts in memory.
 */
export async function tuneDatabase(database: string): Promise<void> {
  await withAdmin(async (admin) => {
    await admin.query(`ALTER DATABASE ${database} SET jit = off`);
    await admin.query(`ALTER DATABASE ${database} SET max_parallel_workers_per_gather = 0`);
    await admin.query(`ALTER DATABASE ${database} SET work_mem = '32MB'`);
  });
}

/** Pins the backends serving `database` to `core`, next to the server under test. Returns how many. */
export async function pinBackends(database: string, core: number): Promise<number> {
  const pids = await withAdmin(async (admin) =>
    (await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database])).rows);
  let pinned = 0;
  for (const { pid } of pids) {
    try {
      execFileSync('taskset', ['-cp', String(core), String(pid)], { stdio: 'ignore' });
      pinned++;
    } catch {
      // The backend ended meanwhile.
    }
  }
  return pinned;
}

/**
 * The floor's one assumption (see w1-dashboard.sql.ts): members of a redundancy group depend on
 * nothing. Returns how many group edges break it; 0 means the floor is exact on this data.
 */
export async function floorAssumptionViolations(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM dependency g
       WHERE g.redundancy_group IS NOT NULL AND g.removed_at IS NULL
         AND EXISTS (SELECT 1 FROM dependency d WHERE d.component_id = g.depends_on_id AND d.removed_at IS NULL)`);
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}

/**
 * What autovacuum would have done by now, at a moment the harness chooses: the cluster runs with
 * autovacuum off so that no cleaning lands inside a timed run, and without this a part that writes
 * (a hub report rewrites the stored picture of all its dependants) would leave its dead rows to every
 * part after it. `VACUUM (ANALYZE)` on the dataset's database; returns the seconds it took.
 */
export async function vacuumDataset(database: string): Promise<number> {
  const client = new Client({ connectionString: databaseUrl(database) });
  await client.connect();
  const started = performance.now();
  try {
    await client.query('VACUUM (ANALYZE)');
  } finally {
    await client.end();
  }
  return (performance.now() - started) / 1000;
}
