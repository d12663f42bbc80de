import fs from 'node:fs';
import path from 'node:path';
import { ensureDataset, markWritten } from '../generator/load';
import { startBenchPostgres } from '../harness/bench-postgres';
import { serverSpec } from '../harness/contenders';
import { median, post } from '../harness/load';
import { REPO } from '../harness/paths';
import { tuneDatabase } from '../harness/postgres';
import { W1_PUBLIC_DASHBOARD } from '../harness/queries';
import type { RunningServer, ServerSpec } from '../harness/server-process';
import { issueCoordinatorToken } from '../harness/tokens';
import { pickInputs } from '../harness/workloads';
import { alternating, Build, buildsToCompare, commonOptions, runTool, startBuild, writeResults } from './tool-support';

/**
 * A report on the hub (W3's gateway, tens of thousands of components above it at scale 1), with a
 * public reader asking W1P one request after another meanwhile: how long the report takes, how much
 * CPU the server spends on it, how long the reader waits while it runs (against the same reader
 * with no report running, in the same server), and the server's peak memory.
 *
 * With `--baseline DIR` (a built checkout of another commit: DIR/dist/src/main.js) both builds are
 * measured in the same run, alternating (A B, B A, ...), on the same dataset:
 *
 *   git worktree add /tmp/base <ref> && ln -s "$PWD/node_modules" /tmp/base/node_modules \
 *     && (cd /tmp/base && npx tsc -p tsconfig.build.json)
 *   node bench/dist/bench/tools/hub-report.js --scale 1 --rounds 3 --baseline /tmp/base
 *
 * Needs `npm run build` and `npx tsc -p bench/tsconfig.json` first. Writes
 * bench/results/<date>-hub-report-s<scale>.md and .json (with -2, -3, … when those exist).
 */
const log = (line: string) => console.log(`[hub-report ${new Date().toISOString().slice(11, 19)}] ${line}`);

interface Reads {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

interface Measurement {
  build: string;
  round: number;
  /**
   * reportStatus round trip with nothing else running: the hub down, then up again. The first hub
   * report a server takes reads every row above the hub; the next ones reuse what it remembers.
   */
  aloneMs?: number[];
  aloneCpuSeconds?: number[];
  /** Server CPU in the TAIL_MS after each alone report's answer (its change events read by the instance's bus and the webhook fan-out), seconds. */
  aloneTailCpuSeconds?: number[];
  /** Each alone report's upkeep of the picture by phase, ms (/metrics, `ketenbeeld_picture_upkeep_phase_seconds`; absent in builds without it). */
  alonePhasesMs?: (Record<string, number> | null)[];
  /** reportStatus round trip: the hub down, then up again. */
  reportMs: number[];
  /** Server CPU (user + system) spent while each report ran, seconds. */
  reportCpuSeconds: number[];
  /**
   * The longest the server's event loop was held up while each report ran, ms: every other request
   * waits that long at worst (Node's monitorEventLoopDelay as /metrics shows it, read just before and after).
   */
  stallMs?: number[];
  readsAlone: Reads;
  readsDuringReports: Reads;
  /** Reports on gateways nothing depends on, one after another (a vendor integration elsewhere): alone, and while the hub's reports run. */
  otherReportsAlone: Reads;
  otherReportsDuring: Reads;
  peakMemoryMiB: number | null;
}

/** How long the server is left alone after a hub report alone, its CPU counted as the report's tail. */
const TAIL_MS = 3_000;

const REPORT = `mutation Report($input: ReportStatusInput!) { reportStatus(input: $input) { replayed current } }`;

function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of /proc/<pid>/stat (11 and 12 after the command).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The longest event-loop delay since /metrics was last read (prom-client resets it on every read), ms. */
async function eventLoopStallMs(server: RunningServer): Promise<number> {
  const text = await (await fetch(server.url.replace(/\/graphql$/, '/metrics'))).text();
  const line = text.split('\n').find((l) => l.startsWith('nodejs_eventloop_lag_max_seconds '));
  if (!line) throw new Error('/metrics has no nodejs_eventloop_lag_max_seconds');
  return Number(line.split(' ')[1]) * 1000;
}

const PHASES = ['read', 'lock', 'judge', 'write', 'change set'];

/** The seconds spent so far in each phase of reports' upkeep of the picture, from /metrics; null when the build has no such metric. */
async function upkeepPhaseSeconds(server: RunningServer): Promise<Record<string, number> | null> {
  const text = await (await fetch(server.url.replace(/\/graphql$/, '/metrics'))).text();
  if (!text.includes('# TYPE ketenbeeld_picture_upkeep_phase_seconds ')) return null;
  const sums: Record<string, number> = {};
  for (const phase of PHASES) {
    // A phase no report has been through yet has no line.
    const line = text.split('\n').find((l) => l.startsWith(`ketenbeeld_picture_upkeep_phase_seconds_sum{write="report",phase="${phase}"} `));
    sums[phase] = line ? Number(line.split(' ').pop()) : 0;
  }
  return sums;
}

function readsOf(times: number[]): Reads {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? Number.NaN };
}

/**
 * One request after another (the body of the i-th from `body`), until `until()` says stop; every
 * answer must be a 200 without errors. Returns each round trip in ms.
 */
async function askWhile(server: RunningServer, what: string, body: (i: number) => string, headers: Record<string, string>, until: () => boolean): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; !until(); i++) {
    const answer = await post(server.url, body(i), headers);
    if (answer.status !== 200 || (answer.json as { errors?: unknown }).errors) throw new Error(`${what}: ${JSON.stringify(answer.json).slice(0, 300)}`);
    times.push(answer.ms);
  }
  return times;
}

/** W1P for the municipalities in turn, no token. */
function readWhile(server: RunningServer, municipalities: string[], until: () => boolean): Promise<number[]> {
  const body = (i: number) => JSON.stringify({ query: W1_PUBLIC_DASHBOARD, operationName: 'PublicDashboard', variables: { cbs: municipalities[i % municipalities.length] } });
  return askWhile(server, 'W1P', body, {}, until);
}

/** OPERATIONAL reports on `gatewayIds` in turn, each with a new idempotency key. */
function reportWhile(server: RunningServer, gatewayIds: string[], headers: Record<string, string>, until: () => boolean): Promise<number[]> {
  const body = (i: number) => JSON.stringify({ query: REPORT, operationName: 'Report', variables: { input: {
    componentId: gatewayIds[i % gatewayIds.length], status: 'OPERATIONAL', source: 'bench:hub-report', idempotencyKey: `bench-other-${process.pid}-${Date.now()}-${i}`,
  } } });
  return askWhile(server, 'other report', body, headers, until);
}

async function measure(
  build: Build, round: number, spec: ServerSpec, hubId: string, municipalities: string[], quietGatewayIds: string[], headers: Record<string, string>,
): Promise<Measurement> {
  const server = await startBuild(build, spec, 600);
  const reportHub = async (status: string) => {
    const input = { componentId: hubId, status, cause: status === 'OPERATIONAL' ? null : 'PRECAUTIONARY_SHUTDOWN', source: 'bench:hub-report', idempotencyKey: `bench-hub-${Date.now()}-${status}` };
    const cpuBefore = cpuSeconds(server.pid);
    const answer = await post(server.url, JSON.stringify({ query: REPORT, operationName: 'Report', variables: { input } }), headers, 300_000);
    const payload = (answer.json as { data?: { reportStatus?: { replayed: boolean; current: boolean } } }).data?.reportStatus;
    if (answer.status !== 200 || !payload || payload.replayed || !payload.current) throw new Error(`reportStatus: ${JSON.stringify(answer.json).slice(0, 300)}`);
    return { ms: answer.ms, cpuSeconds: cpuSeconds(server.pid) - cpuBefore };
  };
  try {
    await readWhile(server, municipalities, ((n) => () => n-- <= 0)(municipalities.length));
    const aloneMs: number[] = [];
    const aloneCpuSeconds: number[] = [];
    const aloneTailCpuSeconds: number[] = [];
    const alonePhasesMs: (Record<string, number> | null)[] = [];
    for (const status of ['MAJOR_OUTAGE', 'OPERATIONAL']) {
      const phasesBefore = await upkeepPhaseSeconds(server);
      const { ms, cpuSeconds: cpu } = await reportHub(status);
      const phasesAfter = await upkeepPhaseSeconds(server);
      alonePhasesMs.push(phasesBefore && phasesAfter ? Object.fromEntries(PHASES.map((p) => [p, (phasesAfter[p] - phasesBefore[p]) * 1000])) : null);
      aloneMs.push(ms);
      aloneCpuSeconds.push(cpu);
      const tailBefore = cpuSeconds(server.pid);
      await new Promise((resolve) => setTimeout(resolve, TAIL_MS));
      aloneTailCpuSeconds.push(cpuSeconds(server.pid) - tailBefore);
    }
    const aloneUntil = Date.now() + 5_000;
    const readsAlone = readsOf(await readWhile(server, municipalities, () => Date.now() > aloneUntil));
    const othersUntil = Date.now() + 5_000;
    const otherReportsAlone = readsOf(await reportWhile(server, quietGatewayIds, headers, () => Date.now() > othersUntil));
    let reporting = true;
    const during = readWhile(server, municipalities, () => !reporting);
    const othersDuring = reportWhile(server, quietGatewayIds, headers, () => !reporting);
    const reportMs: number[] = [];
    const reportCpuSeconds: number[] = [];
    const stallMs: number[] = [];
    for (const status of ['MAJOR_OUTAGE', 'OPERATIONAL']) {
      await eventLoopStallMs(server);
      const { ms, cpuSeconds: cpu } = await reportHub(status);
      reportCpuSeconds.push(cpu);
      reportMs.push(ms);
      stallMs.push(await eventLoopStallMs(server));
    }
    reporting = false;
    const readsDuringReports = readsOf(await during);
    const otherReportsDuring = readsOf(await othersDuring);
    return { build: build.name, round, aloneMs, aloneCpuSeconds, aloneTailCpuSeconds, alonePhasesMs, reportMs, reportCpuSeconds, stallMs, readsAlone, readsDuringReports, otherReportsAlone, otherReportsDuring, peakMemoryMiB: server.peakMemoryMiB() };
  } finally {
    await server.stop();
  }
}

const f = (value: number | null | undefined, digits = 0) => (value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits));

function markdown(scale: number, hub: string, dependants: number, measurements: Measurement[], builds: Build[]): string {
  const lines = [
    `# Hub report, scale ${scale}`, '',
    `${new Date().toISOString()}. The hub: ${hub} (${dependants} direct dependants without a redundant alternative), reported MAJOR_OUTAGE and then OPERATIONAL`,
    'with a coordinator\'s token; meanwhile one public reader asks W1P (a municipality\'s services, no token) one request after another, and a vendor',
    'integration elsewhere reports OPERATIONAL on gateways nothing depends on, one report after another (the issue\'s "other reports while a hub report runs").',
    '"Alone" is the same reader, or the same reporter, for 5 s before the hub\'s reports, in the same server; "hub alone" is the hub reported down and up with nothing else running, first thing after the server started',
    '(its first report reads every row above the hub, the next ones reuse what the server remembers). CPU is the server\'s user + system time while each hub report ran;',
    `the tail is its CPU in the ${TAIL_MS / 1000} s after each alone report answered, nothing else running (the instance's event bus and the webhook fan-out reading the report's change events);`,
    'stall is the longest the server\'s event loop was held up meanwhile (every other request waits that long at worst; Node\'s monitorEventLoopDelay, 10 ms resolution).',
    `Builds: ${builds.map((b) => `${b.name} (\`${path.relative(REPO, b.main) || b.main}\`)`).join(', ')}; alternating per round.`, '',
    '| round | build | hub alone down / up ms | CPU s alone (down / up) | tail CPU s alone (down / up) | hub down ms | hub up ms | CPU s (down / up) | stall ms (down / up) | reads alone p50 / p99 ms | reads during p50 / p99 / max ms | reads during | other reports alone p50 / p99 ms | other reports during p50 / p99 / max ms | other reports during | peak RSS MiB |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...measurements.map((m) => `| ${m.round + 1} | ${m.build} | ${f(m.aloneMs?.[0])} / ${f(m.aloneMs?.[1])} | ${f(m.aloneCpuSeconds?.[0], 2)} / ${f(m.aloneCpuSeconds?.[1], 2)} | ${f(m.aloneTailCpuSeconds?.[0], 2)} / ${f(m.aloneTailCpuSeconds?.[1], 2)} | ${f(m.reportMs[0])} | ${f(m.reportMs[1])} | ${f(m.reportCpuSeconds[0], 2)} / ${f(m.reportCpuSeconds[1], 2)} | ${f(m.stallMs?.[0])} / ${f(m.stallMs?.[1])} | `
      + `${f(m.readsAlone.p50)} / ${f(m.readsAlone.p99)} | ${f(m.readsDuringReports.p50)} / ${f(m.readsDuringReports.p99)} / ${f(m.readsDuringReports.max)} | ${m.readsDuringReports.count} | `
      + `${f(m.otherReportsAlone.p50)} / ${f(m.otherReportsAlone.p99)} | ${f(m.otherReportsDuring.p50)} / ${f(m.otherReportsDuring.p99)} / ${f(m.otherReportsDuring.max)} | ${m.otherReportsDuring.count} | ${f(m.peakMemoryMiB)} |`),
    '', '| build (median over rounds) | hub alone, first / next ms | hub report ms | CPU s per report | tail CPU s alone | stall ms | reads during p99 ÷ reads alone p99 | reads during max ms | other reports during p99 ms (target ≤ 100) | other reports during max ms | peak RSS MiB |', '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const build of builds) {
    const mine = measurements.filter((m) => m.build === build.name);
    lines.push(`| ${build.name} | ${f(median(mine.map((m) => m.aloneMs?.[0] ?? Number.NaN)))} / ${f(median(mine.map((m) => m.aloneMs?.[1] ?? Number.NaN)))} | ${f(median(mine.flatMap((m) => m.reportMs)))} | ${f(median(mine.flatMap((m) => m.reportCpuSeconds)), 2)} | ${f(median(mine.flatMap((m) => m.aloneTailCpuSeconds ?? [])), 2)} | ${f(median(mine.flatMap((m) => m.stallMs ?? [])))} | `
      + `${f(median(mine.map((m) => m.readsDuringReports.p99 / m.readsAlone.p99)), 1)}× | ${f(median(mine.map((m) => m.readsDuringReports.max)))} | `
      + `${f(median(mine.map((m) => m.otherReportsDuring.p99)))} | ${f(median(mine.map((m) => m.otherReportsDuring.max)))} | ${f(median(mine.map((m) => m.peakMemoryMiB ?? Number.NaN)))} |`);
  }
  lines.push('', 'The hub alone, the picture\'s upkeep by phase (ms, median over rounds; `ketenbeeld_picture_upkeep_phase_seconds` on /metrics; the writes of the rows overlap the judging of the next ones, in `write`):', '',
    `| build | report | ${PHASES.join(' | ')} |`, `|---|---|${PHASES.map(() => '---|').join('')}`);
  for (const build of builds) {
    const mine = measurements.filter((m) => m.build === build.name);
    ['down', 'up'].forEach((direction, i) => {
      lines.push(`| ${build.name} | ${direction} | ${PHASES.map((p) => f(median(mine.map((m) => m.alonePhasesMs?.[i]?.[p] ?? Number.NaN)))).join(' | ')} |`);
    });
  }
  if (builds.length === 2) {
    const ratio = (value: (m: Measurement) => number[]) => {
      const per = [...new Set(measurements.map((m) => m.round))].map((round) => {
        const [a, b] = builds.map((build) => median(measurements.filter((m) => m.round === round && m.build === build.name).flatMap(value)));
        return a !== null && b !== null ? a / b : Number.NaN;
      });
      return median(per);
    };
    lines.push('', `${builds[0].name} ÷ ${builds[1].name}, median of per-round ratios: hub alone first ${f(ratio((m) => [m.aloneMs?.[0] ?? Number.NaN]), 2)}×, `
      + `next ${f(ratio((m) => [m.aloneMs?.[1] ?? Number.NaN]), 2)}×, hub report time ${f(ratio((m) => m.reportMs), 2)}×, `
      + `CPU ${f(ratio((m) => m.reportCpuSeconds), 2)}×, tail CPU alone ${f(ratio((m) => m.aloneTailCpuSeconds ?? []), 2)}×, event-loop stall ${f(ratio((m) => m.stallMs ?? []), 2)}×, reads during p99 ${f(ratio((m) => [m.readsDuringReports.p99]), 2)}×, `
      + `reads during max ${f(ratio((m) => [m.readsDuringReports.max]), 2)}×, other reports during p99 ${f(ratio((m) => [m.otherReportsDuring.p99]), 2)}×, peak RSS ${f(ratio((m) => [m.peakMemoryMiB ?? Number.NaN]), 2)}×.`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  await startBenchPostgres(log);
  const { scale, seed, rounds, port } = commonOptions();
  const builds = buildsToCompare();

  const dataset = await ensureDataset(scale, seed, { log });
  await tuneDatabase(dataset.name);
  const inputs = await pickInputs(dataset.url, 40, seed);
  const headers = await issueCoordinatorToken(dataset.url, 'bench hub report');
  await markWritten(dataset.name, scale, seed);
  const base = serverSpec('ketenbeeld', dataset.url, 1);
  const spec: ServerSpec = { ...base, port, env: { ...base.env, PORT: String(port) } };

  const measurements = await alternating(builds, rounds, async (build, round) => {
    const m = await measure(build, round, spec, inputs.hubGatewayId, inputs.municipalities, inputs.quietGatewayIds, headers);
    log(`round ${round + 1} ${build.name}: hub ${m.reportMs.map((ms) => ms.toFixed(0)).join(' / ')} ms, reads during p99 ${m.readsDuringReports.p99.toFixed(0)} ms (alone ${m.readsAlone.p99.toFixed(0)}), other reports during p99 ${m.otherReportsDuring.p99.toFixed(0)} ms (alone ${m.otherReportsAlone.p99.toFixed(0)}), peak ${m.peakMemoryMiB} MiB`);
    return m;
  });
  writeResults(`hub-report-s${scale}`, markdown(scale, inputs.hubGatewayName, inputs.hubDependants, measurements, builds), { scale, seed, builds, measurements });
}

runTool(main);
