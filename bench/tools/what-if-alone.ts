import path from 'node:path';
import { markWritten } from '../generator/load';
import { REPO } from '../harness/paths';
import { W3_IMPACT } from '../harness/queries';
import type { ServerSpec } from '../harness/server-process';
import { issueCoordinatorToken } from '../harness/tokens';
import { pickInputs } from '../harness/workloads';
import { Asked, ask, graphqlRequest, RATIO_COLUMNS, ratioCells, pairedRounds, prepare, withServer } from './one-at-a-time';
import { alternating, argument, Build, runTool, writeResults } from './tool-support';

/**
 * W3F alone: the what-if of W3's hub (tens of thousands of components above it at scale 1), judged
 * afresh each time (a comment unique to each request), asked one at a time by a coordinator: per
 * request the round trip and the CPU it cost the server and PostgreSQL, as dashboard-alone.ts
 * measures the dashboards. The whole run's W3F compares the round trip with the floor's; this
 * compares two builds of ketenbeeld on it.
 *
 *   node bench/dist/bench/tools/what-if-alone.js --scale 1 --rounds 3 --requests 10 --baseline /tmp/base
 *
 * `--baseline DIR` and `--cpu-prof DIR` as for dashboard-alone.ts. Needs `npm run build` and
 * `npx tsc -p bench/tsconfig.json` first. Writes bench/results/<date>-what-if-alone-s<scale>.md and
 * .json (with -2, -3, … when those exist).
 */
const log = (line: string) => console.log(`[what-if-alone ${new Date().toISOString().slice(11, 19)}] ${line}`);

interface Measurement {
  build: string;
  round: number;
  w3f: Asked;
}

async function measure(build: Build, round: number, spec: ServerSpec, databaseUrl: string, databaseName: string, hub: string, token: Record<string, string>, requests: number): Promise<Measurement> {
  return withServer(build, spec, databaseUrl, 900, async (server, database) => {
    const w3f = await ask(database, databaseName, server, requests, graphqlRequest(server,
      (i) => JSON.stringify({ query: `${W3_IMPACT}\n# what-if alone ${build.name} ${round} ${i}`, operationName: 'Impact', variables: { id: hub } }),
      () => token), 2);
    return { build: build.name, round, w3f };
  });
}

const f = (value: number | null | undefined, digits = 1) => (value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits));

function markdown(scale: number, hubName: string, requests: number, measurements: Measurement[], builds: Build[]): string {
  const lines = [
    `# W3F one request at a time, scale ${scale}`, '',
    `${new Date().toISOString()}. The what-if of ${hubName} (W3's query, a comment unique to each request), ${requests} requests after 2 unmeasured, one at a time, with a coordinator's token.`,
    'CPU per request: user + system time of the server\'s process, and of the PostgreSQL backends serving its pool, over the measured requests (/proc, 10 ms ticks), divided by the requests.',
    `Builds: ${builds.map((b) => `${b.name} (\`${path.relative(REPO, b.main) || b.main}\`)`).join(', ')}; alternating per round.`, '',
    '| round | build | p50 / p90 / min ms | server CPU ms / request | PostgreSQL CPU ms / request | both | statements / request |',
    '|---|---|---|---|---|---|---|',
    ...measurements.map(({ round, build, w3f: a }) =>
      `| ${round + 1} | ${build} | ${f(a.p50)} / ${f(a.p90)} / ${f(a.min)} | ${f(a.serverCpuMs)} | ${f(a.postgresCpuMs)} | ${f(a.serverCpuMs + a.postgresCpuMs)} | ${f(a.statements, 1)} |`),
  ];
  if (builds.length === 2) {
    lines.push('', `${builds[0].name} ÷ ${builds[1].name}, median of per-round ratios:`, '',
      `| ${RATIO_COLUMNS} |`, '|---|---|---|---|---|', `| ${ratioCells(pairedRounds(measurements, builds, (m) => m.w3f))} |`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const { scale, seed, rounds, builds, dataset, spec } = await prepare(log);
  const requests = Number(argument('--requests', '10'));
  const inputs = await pickInputs(dataset.url, 1, seed);
  const token = await issueCoordinatorToken(dataset.url, 'bench what-if alone');
  await markWritten(dataset.name, scale, seed);

  const measurements = await alternating(builds, rounds, async (build, round) => {
    const m = await measure(build, round, spec, dataset.url, dataset.name, inputs.hubGatewayId, token, requests);
    log(`round ${round + 1} ${build.name}: p50 ${f(m.w3f.p50)} ms, min ${f(m.w3f.min)} ms, CPU ${f(m.w3f.serverCpuMs)} + ${f(m.w3f.postgresCpuMs)} ms`);
    return m;
  });
  writeResults(`what-if-alone-s${scale}`, markdown(scale, inputs.hubGatewayName, requests, measurements, builds), { scale, seed, builds, measurements });
}

runTool(main);
