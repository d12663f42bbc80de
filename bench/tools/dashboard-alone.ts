import path from 'node:path';
import { markWritten } from '../generator/load';
import { REPO } from '../harness/paths';
import { W1_DASHBOARD, W1_PUBLIC_DASHBOARD } from '../harness/queries';
import type { RunningServer, ServerSpec } from '../harness/server-process';
import { issueToken } from '../harness/tokens';
import { pickInputs } from '../harness/workloads';
import { Asked, ask, graphqlRequest, RATIO_COLUMNS, ratioCells, Request, pairedRounds, prepare, withServer } from './one-at-a-time';
import { alternating, argument, Build, runTool, writeResults } from './tool-support';

/**
 * W1 (each municipality with its own token), W1P (no token) and W6's request (the municipality's
 * public status page, uncached) asked one request at a time, as the whole run's "one request
 * alone": per request, the round trip and the CPU it cost the server and
 * PostgreSQL (user + system time of the server's process and of the backends serving its pool,
 * from /proc). CPU per request is what throughput on a saturated core is made of, and it moves far
 * less with the machine's noise than a latency does, so two builds can be compared on it.
 *
 * With `--baseline DIR` (a built checkout of another commit, as for hub-report.ts) both builds are
 * measured alternating (A B, B A, ...) on the same dataset:
 *
 *   node bench/dist/bench/tools/dashboard-alone.js --scale 1 --rounds 3 --requests 400 --baseline /tmp/base
 *
 * `--cpu-prof DIR` has each server write a V8 CPU profile to DIR. Needs `npm run build` and
 * `npx tsc -p bench/tsconfig.json` first. Writes
 * bench/results/<date>-dashboard-alone-s<scale>.md and .json (with -2, -3, … when those exist).
 */
const log = (line: string) => console.log(`[dashboard-alone ${new Date().toISOString().slice(11, 19)}] ${line}`);

interface Measurement {
  build: string;
  round: number;
  w1: Asked;
  w1p: Asked;
  /** W6's request: the public status page, uncached (no If-None-Match). */
  page: Asked;
}

type Form = 'w1' | 'w1p' | 'page';
const FORMS: readonly Form[] = ['w1', 'w1p', 'page'];
const FORM_NAMES: Record<Form, string> = { w1: 'W1', w1p: 'W1P', page: 'W6 page' };

/** GET of a municipality's public status page, as W6's uncached reader asks it. */
function pageRequest(server: RunningServer, municipalities: string[]): Request {
  const origin = new URL(server.url).origin;
  return async (i) => {
    const started = performance.now();
    const response = await fetch(`${origin}/status/${municipalities[i % municipalities.length]}`, { headers: { 'accept-language': 'nl' } });
    const body = await response.text();
    if (response.status !== 200 || !body.includes('</html>')) throw new Error(`page: ${response.status} ${body.slice(0, 200)}`);
    return performance.now() - started;
  };
}

async function measure(build: Build, round: number, spec: ServerSpec, databaseUrl: string, databaseName: string, municipalities: string[], tokens: Record<string, string>[], requests: number): Promise<Measurement> {
  return withServer(build, spec, databaseUrl, 600, async (server, database) => {
    const w1 = await ask(database, databaseName, server, requests, graphqlRequest(server,
      (i) => JSON.stringify({ query: W1_DASHBOARD, operationName: 'Dashboard', variables: { cbs: municipalities[i % municipalities.length] } }),
      (i) => tokens[i % municipalities.length]));
    const w1p = await ask(database, databaseName, server, requests, graphqlRequest(server,
      (i) => JSON.stringify({ query: W1_PUBLIC_DASHBOARD, operationName: 'PublicDashboard', variables: { cbs: municipalities[i % municipalities.length] } }),
      () => ({})));
    const page = await ask(database, databaseName, server, requests, pageRequest(server, municipalities));
    return { build: build.name, round, w1, w1p, page };
  });
}

const f = (value: number | null | undefined, digits = 1) => (value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits));

function markdown(scale: number, municipalities: number, requests: number, measurements: Measurement[], builds: Build[]): string {
  const row = (m: Measurement, form: Form) => {
    const a = m[form];
    return `| ${m.round + 1} | ${m.build} | ${FORM_NAMES[form]} | ${f(a.p50)} / ${f(a.p90)} / ${f(a.min)} | ${f(a.serverCpuMs, 2)} | ${f(a.postgresCpuMs, 2)} | ${f(a.serverCpuMs + a.postgresCpuMs, 2)} | ${f(a.statements, 2)} |`;
  };
  const lines = [
    `# W1, W1P and the public page one request at a time, scale ${scale}`, '',
    `${new Date().toISOString()}. ${requests} requests of each form after 50 unmeasured, round-robin over ${municipalities} municipalities (W1 with each one's own token, role MUNICIPALITY; W1P without a token; W6 page: GET /status/<cbs> in Dutch, without If-None-Match).`,
    'CPU per request: user + system time of the server\'s process, and of the PostgreSQL backends serving its pool, over the measured requests (/proc, 10 ms ticks), divided by the requests.',
    'Statements: pg_stat_statements calls per request (transaction control and settings not counted). The load generator is this process, one request at a time.',
    `Builds: ${builds.map((b) => `${b.name} (\`${path.relative(REPO, b.main) || b.main}\`)`).join(', ')}; alternating per round.`, '',
    '| round | build | form | p50 / p90 / min ms | server CPU ms / request | PostgreSQL CPU ms / request | both | statements / request |',
    '|---|---|---|---|---|---|---|---|',
    ...measurements.flatMap((m) => FORMS.map((form) => row(m, form))),
  ];
  if (builds.length === 2) {
    lines.push('', `${builds[0].name} ÷ ${builds[1].name}, median of per-round ratios:`, '',
      `| form | ${RATIO_COLUMNS} |`, '|---|---|---|---|---|---|');
    for (const form of FORMS) {
      lines.push(`| ${FORM_NAMES[form]} | ${ratioCells(pairedRounds(measurements, builds, (m) => m[form]))} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const { scale, seed, rounds, builds, dataset, spec } = await prepare(log);
  const requests = Number(argument('--requests', '400'));
  const count = Number(argument('--municipalities', '10'));
  const municipalities = (await pickInputs(dataset.url, count, seed)).municipalities;
  const tokens = municipalities.map((cbs) => issueToken(dataset.url, cbs, 'MUNICIPALITY', 'bench dashboard alone'));
  await markWritten(dataset.name, scale, seed);

  const measurements = await alternating(builds, rounds, async (build, round) => {
    const m = await measure(build, round, spec, dataset.url, dataset.name, municipalities, tokens, requests);
    log(`round ${round + 1} ${build.name}: ${FORMS.map((form) => `${FORM_NAMES[form]} p50 ${f(m[form].p50)} ms, CPU ${f(m[form].serverCpuMs, 2)} + ${f(m[form].postgresCpuMs, 2)} ms`).join('; ')}`);
    return m;
  });
  writeResults(`dashboard-alone-s${scale}`, markdown(scale, municipalities.length, requests, measurements, builds), { scale, seed, builds, measurements });
}

runTool(main);
