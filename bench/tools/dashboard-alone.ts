import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { ensureDataset, markWritten } from '../generator/load';
import { startBenchPostgres } from '../harness/bench-postgres';
import { serverSpec } from '../harness/contenders';
import { median, post } from '../harness/load';
import { ketenbeeldNodeFlags, REPO } from '../harness/paths';
import { ensureStatementStatistics, resetStatementStatistics, statementCount, tuneDatabase } from '../harness/postgres';
import { W1_DASHBOARD, W1_PUBLIC_DASHBOARD } from '../harness/queries';
import { RunningServer, ServerSpec, startServer } from '../harness/server-process';
import { issueToken } from '../harness/tokens';
import { pickInputs } from '../harness/workloads';
import { alternating, argument, Build, buildsToCompare, commonOptions, runTool, writeResults } from './tool-support';

/**
 * W1 (each municipality with its own token) and W1P (no token) asked one request at a time, as the
 * whole run's "one request alone": per request, the round trip and the CPU it cost the server and
 * PostgreSQL (user + system time of the server's process and of the backends serving its pool,
 * from /proc). CPU per request is what throughput on a saturated core is made of, and it moves far
 * less with the machine's noise than a latency does, so two builds can be compared on it.
 *
 * With `--baseline DIR` (a built checkout of another commit, as for hub-report.ts) both builds are
 * measured alternating (A B, B A, ...) on the same dataset:
 *
 *   node bench/dist/bench/tools/dashboard-alone.js --scale 1 --rounds 3 --requests 400 --baseline /tmp/base
 *
 * Needs `npm run build` and `npx tsc -p bench/tsconfig.json` first. Writes
 * bench/results/<date>-dashboard-alone-s<scale>.md and .json (with -2, -3, … when those exist).
 */
const log = (line: string) => console.log(`[dashboard-alone ${new Date().toISOString().slice(11, 19)}] ${line}`);

interface Asked {
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

interface Measurement {
  build: string;
  round: number;
  w1: Asked;
  w1p: Asked;
}

function cpuMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime, in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0; // a backend that ended meanwhile: its time is lost, and the pool keeps its connections
  }
}

async function ask(
  server: RunningServer, database: Client, databaseName: string, requests: number, body: (i: number) => string, headers: (i: number) => Record<string, string>,
): Promise<Asked> {
  const backends = async () => (await database.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`)).rows.map((row) => row.pid);
  const once = async (i: number) => {
    const answer = await post(server.url, body(i), headers(i));
    if (answer.status !== 200 || (answer.json as { errors?: unknown }).errors) throw new Error(JSON.stringify(answer.json).slice(0, 300));
    return answer.ms;
  };
  for (let i = 0; i < 50; i++) await once(i);
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

async function measure(build: Build, round: number, spec: ServerSpec, databaseUrl: string, databaseName: string, municipalities: string[], tokens: Record<string, string>[], requests: number): Promise<Measurement> {
  const server = await startServer({ ...spec, args: [...ketenbeeldNodeFlags(build.checkout), build.main] }, 600);
  const database = new Client({ connectionString: databaseUrl });
  await database.connect();
  try {
    const w1 = await ask(server, database, databaseName, requests,
      (i) => JSON.stringify({ query: W1_DASHBOARD, operationName: 'Dashboard', variables: { cbs: municipalities[i % municipalities.length] } }),
      (i) => tokens[i % municipalities.length]);
    const w1p = await ask(server, database, databaseName, requests,
      (i) => JSON.stringify({ query: W1_PUBLIC_DASHBOARD, operationName: 'PublicDashboard', variables: { cbs: municipalities[i % municipalities.length] } }),
      () => ({}));
    return { build: build.name, round, w1, w1p };
  } finally {
    await database.end();
    await server.stop();
  }
}

const f = (value: number | null | undefined, digits = 1) => (value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits));

function markdown(scale: number, municipalities: number, requests: number, measurements: Measurement[], builds: Build[]): string {
  const row = (m: Measurement, form: 'w1' | 'w1p') => {
    const a = m[form];
    return `| ${m.round + 1} | ${m.build} | ${form === 'w1' ? 'W1' : 'W1P'} | ${f(a.p50)} / ${f(a.p90)} / ${f(a.min)} | ${f(a.serverCpuMs, 2)} | ${f(a.postgresCpuMs, 2)} | ${f(a.serverCpuMs + a.postgresCpuMs, 2)} | ${f(a.statements, 2)} |`;
  };
  const lines = [
    `# W1 and W1P one request at a time, scale ${scale}`, '',
    `${new Date().toISOString()}. ${requests} requests of each form after 50 unmeasured, round-robin over ${municipalities} municipalities (W1 with each one's own token, role MUNICIPALITY; W1P without a token).`,
    'CPU per request: user + system time of the server\'s process, and of the PostgreSQL backends serving its pool, over the measured requests (/proc, 10 ms ticks), divided by the requests.',
    'Statements: pg_stat_statements calls per request (transaction control and settings not counted). The load generator is this process, one request at a time.',
    `Builds: ${builds.map((b) => `${b.name} (\`${path.relative(REPO, b.main) || b.main}\`)`).join(', ')}; alternating per round.`, '',
    '| round | build | form | p50 / p90 / min ms | server CPU ms / request | PostgreSQL CPU ms / request | both | statements / request |',
    '|---|---|---|---|---|---|---|---|',
    ...measurements.flatMap((m) => [row(m, 'w1'), row(m, 'w1p')]),
  ];
  if (builds.length === 2) {
    lines.push('', `${builds[0].name} ÷ ${builds[1].name}, median of per-round ratios:`, '',
      '| form | p50 | min | server CPU | PostgreSQL CPU | both |', '|---|---|---|---|---|---|');
    for (const form of ['w1', 'w1p'] as const) {
      const ratio = (value: (a: Asked) => number) => median([...new Set(measurements.map((m) => m.round))].map((round) => {
        const [a, b] = builds.map((build) => measurements.find((m) => m.round === round && m.build === build.name)![form]);
        return value(a) / value(b);
      }));
      lines.push(`| ${form === 'w1' ? 'W1' : 'W1P'} | ${f(ratio((a) => a.p50), 2)}× | ${f(ratio((a) => a.min), 2)}× | ${f(ratio((a) => a.serverCpuMs), 2)}× | ${f(ratio((a) => a.postgresCpuMs), 2)}× | ${f(ratio((a) => a.serverCpuMs + a.postgresCpuMs), 2)}× |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  await startBenchPostgres(log);
  const unavailable = await ensureStatementStatistics(log);
  if (unavailable) throw new Error(unavailable);
  const { scale, seed, rounds, port } = commonOptions();
  const requests = Number(argument('--requests', '400'));
  const count = Number(argument('--municipalities', '10'));
  const builds = buildsToCompare();

  const dataset = await ensureDataset(scale, seed, { log });
  await tuneDatabase(dataset.name);
  const municipalities = (await pickInputs(dataset.url, count, seed)).municipalities;
  const tokens = municipalities.map((cbs) => issueToken(dataset.url, cbs, 'MUNICIPALITY', 'bench dashboard alone'));
  await markWritten(dataset.name, scale, seed);
  const base = serverSpec('ketenbeeld', dataset.url, 1);
  const spec: ServerSpec = { ...base, port, env: { ...base.env, PORT: String(port) } };

  const measurements = await alternating(builds, rounds, async (build, round) => {
    const m = await measure(build, round, spec, dataset.url, dataset.name, municipalities, tokens, requests);
    log(`round ${round + 1} ${build.name}: W1 p50 ${f(m.w1.p50)} ms, CPU ${f(m.w1.serverCpuMs, 2)} + ${f(m.w1.postgresCpuMs, 2)} ms; W1P p50 ${f(m.w1p.p50)} ms, CPU ${f(m.w1p.serverCpuMs, 2)} + ${f(m.w1p.postgresCpuMs, 2)} ms`);
    return m;
  });
  writeResults(`dashboard-alone-s${scale}`, markdown(scale, municipalities.length, requests, measurements, builds), { scale, seed, builds, measurements });
}

runTool(main);
