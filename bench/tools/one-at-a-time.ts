import fs from 'node:fs';
import { Client } from 'pg';
import { median, post } from '../harness/load';
import { ensureDataset } from '../generator/load';
import { startBenchPostgres } from '../harness/bench-postgres';
import { serverSpec } from '../harness/contenders';
import { ensureStatementStatistics, resetStatementStatistics, statementCount, tuneDatabase } from '../harness/postgres';
import type { RunningServer, ServerSpec } from '../harness/server-process';
import { Build, buildsToCompare, commonOptions, startBuild } from './tool-support';

/**
 * Requests asked one at a time, with what each cost: the round trip, the CPU of the server's
 * process and of the PostgreSQL backends serving its pool (user + system time, from /proc), and the
 * statements PostgreSQL ran. CPU per request is what throughput on a saturated core is made of, and
 * it moves far less with the machine's noise than a latency does, so two builds can be compared on
 * it (dashboard-alone.ts, what-if-alone.ts).
 */
export interface Asked {
  requests: number;
  p50: number;
  p90: number;
  min: number;
  /** Server CPU per request, ms. */
  serverCpuMs: number;
  /** CPU of the PostgreSQL backends serving the server's pool, per request, ms. */
  postgresCpuMs: number;
  /** Statements per request in pg_stat_statements (transaction control and SET not counted). */
  statements: number;
}

/** One request and its round trip in ms; throws on anything but a full answer. */
export type Request = (i: number) => Promise<number>;

function cpuMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime, in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0; // a backend that ended meanwhile: its time is lost, and the pool keeps its connections
  }
}

/** A GraphQL request that must answer 200 without errors. */
export function graphqlRequest(server: RunningServer, body: (i: number) => string, headers: (i: number) => Record<string, string>): Request {
  return async (i) => {
    const answer = await post(server.url, body(i), headers(i));
    if (answer.status !== 200 || (answer.json as { errors?: unknown }).errors) throw new Error(JSON.stringify(answer.json).slice(0, 300));
    return answer.ms;
  };
}

/** Asks `warmUp` unmeasured requests, then `requests` measured ones, one at a time. */
export async function ask(
  database: Client, databaseName: string, server: RunningServer, requests: number, once: Request, warmUp = 50,
): Promise<Asked> {
  const backends = async () => (await database.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`)).rows.map((row) => row.pid);
  for (let i = 0; i < warmUp; i++) await once(i);
  await resetStatementStatistics();
  const pids = await backends();
  const serverBefore = cpuMs(server.pid);
  const postgresBefore = new Map(pids.map((pid) => [pid, cpuMs(pid)]));
  const times: number[] = [];
  for (let i = 0; i < requests; i++) times.push(await once(i));
  const serverCpu = cpuMs(server.pid) - serverBefore;
  let postgresCpu = 0;
  for (const pid of await backends()) postgresCpu += cpuMs(pid) - (postgresBefore.get(pid) ?? cpuMs(pid));
  // The two reads of pg_stat_activity above and below count too: one each.
  const statements = await statementCount(databaseName) - 2;
  const sorted = [...times].sort((a, b) => a - b);
  return {
    requests,
    p50: sorted[Math.floor(sorted.length * 0.5)],
    p90: sorted[Math.floor(sorted.length * 0.9)],
    min: sorted[0],
    serverCpuMs: serverCpu / requests,
    postgresCpuMs: postgresCpu / requests,
    statements: statements / requests,
  };
}

const figure = (value: number | null) => (value !== null && Number.isFinite(value) ? value.toFixed(2) : '–');

/** The header of `ratioCells`' columns. */
export const RATIO_COLUMNS = 'p50 | min | server CPU | PostgreSQL CPU | both';

/** One build against another, per round (`[this, baseline]`): the median of the per-round ratios, as table cells. */
export function ratioCells(rounds: readonly (readonly [Asked, Asked])[]): string {
  const ratio = (value: (a: Asked) => number) => figure(median(rounds.map(([a, b]) => value(a) / value(b))));
  return `${ratio((a) => a.p50)}× | ${ratio((a) => a.min)}× | ${ratio((a) => a.serverCpuMs)}× | ${ratio((a) => a.postgresCpuMs)}× | ${ratio((a) => a.serverCpuMs + a.postgresCpuMs)}×`;
}

/**
 * What both tools start with: the benchmark's cluster with statement statistics, the dataset of the
 * run's scale and seed (tuned as the whole run tunes it), the builds to compare, and ketenbeeld's
 * server on the tool's port. A tool that issues tokens marks the dataset written afterwards.
 */
export async function prepare(log: (line: string) => void) {
  await startBenchPostgres(log);
  const unavailable = await ensureStatementStatistics(log);
  if (unavailable) throw new Error(unavailable);
  const { scale, seed, rounds, port } = commonOptions();
  const builds = buildsToCompare();
  const dataset = await ensureDataset(scale, seed, { log });
  await tuneDatabase(dataset.name);
  const base = serverSpec('ketenbeeld', dataset.url, 1);
  const spec: ServerSpec = { ...base, port, env: { ...base.env, PORT: String(port) } };
  return { scale, seed, rounds, builds, dataset, spec };
}

/** Starts `build`, connects to its database to watch its backends, hands both to `use`, and stops both. */
export async function withServer<T>(
  build: Build, spec: ServerSpec, databaseUrl: string, readySeconds: number, use: (server: RunningServer, database: Client) => Promise<T>,
): Promise<T> {
  const server = await startBuild(build, spec, readySeconds);
  const database = new Client({ connectionString: databaseUrl });
  await database.connect();
  try {
    return await use(server, database);
  } finally {
    await database.end();
    await server.stop();
  }
}

/** Per round, what `pick` takes of the first build's measurement and of the second's (for `ratioCells`). */
export function pairedRounds<M extends { round: number; build: string }>(measurements: readonly M[], builds: readonly Build[], pick: (m: M) => Asked): [Asked, Asked][] {
  return [...new Set(measurements.map((m) => m.round))].map((round) => {
    const [a, b] = builds.map((build) => pick(measurements.find((m) => m.round === round && m.build === build.name)!));
    return [a, b];
  });
}
