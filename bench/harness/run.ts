import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDataset, markWritten } from '../generator/load';
import { ContenderName, serverSpec } from './contenders';
import { post, runFanoutLoad, stopLoadGenerator } from './load';
import type { FanoutConfig } from './fanout';
import { W5_IMPACT } from './queries';
import { Client } from 'pg';
import { freshResultStem, ketenbeeldNodeFlags, POSTGRAPHILE_NODE, RAW_DIR, REPO, systemNode } from './paths';
import { measureWorkload, WorkloadOutcome } from './measure';
import { ensureStatementStatistics, floorAssumptionViolations, pinBackends, tuneDatabase, vacuumDataset, withAdmin } from './postgres';
import { FanoutReport, markdown, RunReport } from './report';
import { checkReportsWithDependants, DependantsCheck } from './dependants';
import { measureBulkShutdown, W7Report } from './w7';
import { RunningServer, startServer } from './server-process';
import { defineWorkloads, pickInputs, WORKLOAD_IDS } from './workloads';
import { issueCoordinatorToken as coordinatorToken, issueToken } from './tokens';
import { measurePublicPressure, publicPressureMarkdown, PublicPressureReport } from './public-pressure';
import { measurePublicPage, publicPageMarkdown, PublicPageOutcome } from './public-page';
import { benchCallers, measureWebhookDelivery, WebhookBenchReport, webhookMarkdown } from './webhooks';
import { measureMixed, mixedMarkdown, MixedReport } from './w4-mixed';

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
  /** `--only W1,W1L,W6`: the parts to run (workload ids, W5, W6, W7, pressure, webhooks, dependants, mixed); null: all. */
  only: Set<string> | null;
}

/** The parts `--only` can name besides the workloads' own ids. */
const PARTS = ['W5', 'W6', 'W7', 'pressure', 'webhooks', 'dependants', 'mixed'];

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
    only: value('--only') ? new Set(value('--only')!.split(',').map((part) => part.trim())) : null,
  };
  const known = new Set<string>([...WORKLOAD_IDS, ...PARTS]);
  const unknown = [...(options.only ?? [])].filter((part) => !known.has(part));
  if (unknown.length > 0) throw new Error(`--only: unknown part ${unknown.join(', ')} (known: ${[...known].join(', ')})`);
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

/** A token for the run, or {} with the reason logged: the run goes on without it (tokens.ts issues it). */
async function tokenOrNothing(issue: () => Record<string, string> | Promise<Record<string, string>>): Promise<Record<string, string>> {
  try {
    return await issue();
  } catch (error) {
    log(error instanceof Error ? error.message : String(error));
    return {};
  }
}

/** A coordinator's token (a coordinator reads everything): W2–W5 and the checks. */
function issueCoordinatorToken(databaseUrl: string): Promise<Record<string, string>> {
  return tokenOrNothing(() => coordinatorToken(databaseUrl));
}

/** Each W1 municipality's own token, in input order; empty when any could not be issued. */
async function issueMunicipalityTokens(databaseUrl: string, municipalities: string[]): Promise<Record<string, string>[]> {
  const headers: Record<string, string>[] = [];
  for (const cbs of municipalities) headers.push(await tokenOrNothing(() => issueToken(databaseUrl, cbs, 'MUNICIPALITY')));
  return headers.every((h) => h.authorization) ? headers : [];
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
  return `${version(systemNode())} (PostGraphile: ${version(POSTGRAPHILE_NODE)})`;
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
    // W7 and the webhook delivery measurement ask for these; a field not probed here counts as
    // missing, which silently skipped both in the full run of 2026-12-05.
    ['mutation', 'reportStatuses', 'mutation { reportStatuses(input: { reports: [] }) { __typename } }'],
    ['mutation', 'createWebhookEndpoint', 'mutation { createWebhookEndpoint(input: { url: "" }) { __typename } }'],
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

/** A component's global id, as ketenbeeld and the floor spell it. */
const globalComponentId = (uuid: string) => Buffer.from(`Component:${uuid}`).toString('base64url');

/**
 * W5's gateway: among gateways whose transitive dependants (live edges) number at most `bound`, that
 * are OPERATIONAL in their own newest report and are not W3's hub, the one whose outage reaches
 * services delivered to the most municipalities (order: municipalities, then id). "Reaches" follows
 * only edges without a redundancy group: a member of a redundant pair going down alone takes nothing
 * down with it.
 */
async function pickFanoutGateway(url: string, bound: number, hubGatewayId: string): Promise<FanoutReport['gateway']> {
  const hub = Buffer.from(hubGatewayId, 'base64url').toString('utf8').replace(/^Component:/, '');
  const client = new Client({ connectionString: url, application_name: 'bench-harness' });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; name: string; dependants: string; municipalities: string; services: string }>(
      `WITH RECURSIVE up(gateway_id, id, hard) AS (
         SELECT g.id, d.component_id, d.redundancy_group IS NULL
         FROM component g JOIN dependency d ON d.depends_on_id = g.id AND d.removed_at IS NULL
         WHERE g.kind = 'GATEWAY' AND g.id <> $2::uuid
         UNION
         SELECT up.gateway_id, d.component_id, up.hard AND d.redundancy_group IS NULL
         FROM up JOIN dependency d ON d.depends_on_id = up.id AND d.removed_at IS NULL
       ), reach AS (
         SELECT up.gateway_id, count(DISTINCT up.id) AS dependants,
                count(DISTINCT sd.municipality_id) FILTER (WHERE up.hard) AS municipalities,
                count(DISTINCT sd.service_id) FILTER (WHERE up.hard) AS services
         FROM up LEFT JOIN service_delivery sd ON sd.service_id = up.id
         GROUP BY up.gateway_id
       )
       SELECT c.id, c.name, r.dependants, r.municipalities, r.services
       FROM reach r JOIN component c ON c.id = r.gateway_id
       WHERE r.dependants <= $1 AND r.municipalities > 0
         AND (SELECT s.status FROM status_report s WHERE s.component_id = c.id AND s.observed_at <= now()
              ORDER BY s.observed_at DESC, s.seq DESC LIMIT 1) = 'OPERATIONAL'
       ORDER BY r.municipalities DESC, c.id LIMIT 1`,
      [bound, hub]);
    if (rows.length === 0) return null;
    const row = rows[0];
    return {
      id: globalComponentId(row.id), name: row.name, dependants: Number(row.dependants), bound,
      municipalitiesReached: Number(row.municipalities), servicesReached: Number(row.services),
    };
  } finally {
    await client.end();
  }
}

/** One what-if of the gateway: status per `cbs\tserviceId` for every service × municipality that would not be OPERATIONAL. */
async function whatIf(server: RunningServer, gatewayId: string, status: string, headers: Record<string, string>): Promise<Map<string, string>> {
  const answer = await post(server.url, JSON.stringify({ operationName: 'Impact', query: W5_IMPACT, variables: { id: gatewayId, status } }), headers, 300_000);
  const json = answer.json as { errors?: unknown[]; data?: { impact?: { affected: { service: { id: string }; municipality: { cbsCode: string }; status: string }[] } } };
  if (answer.status !== 200 || json.errors || !json.data?.impact) throw new Error(`impact(${status}) from ${server.spec.name}: ${JSON.stringify(json).slice(0, 300)}`);
  return new Map(json.data.impact.affected.map((a) => [`${a.municipality.cbsCode}\t${a.service.id}`, a.status]));
}

/**
 * W5: `subscribers` graphql-ws clients spread round-robin over every municipality; a gateway whose
 * outage reaches several of them (not the W3 hub) is reported down and up again `flips` times. What
 * each subscriber should receive comes from the what-ifs of that outage and of its recovery: the
 * floor's (the expected answers of every workload) when it runs, ketenbeeld's impact otherwise; the
 * two are compared.
 */
async function measureFanout(
  ketenbeeld: RunningServer, floor: RunningServer | undefined, dataset: { url: string; name: string }, statistics: boolean,
  hubGatewayId: string, headers: Record<string, string>, options: Options, cores: { server: number; load: number },
): Promise<FanoutReport> {
  const subscribers = options.quick ? 100 : 1000;
  const flips = options.quick ? 4 : 10;
  const bound = Math.max(1000, Math.round(3000 * options.scale));
  const report: FanoutReport = { gateway: null, expectation: null, municipalities: 0, subscribers, flips, result: null, error: null };
  try {
    const client = new Client({ connectionString: dataset.url, application_name: 'bench-harness' });
    await client.connect();
    const codes = await client.query<{ cbs_code: string }>(`SELECT cbs_code FROM organisation WHERE kind = 'MUNICIPALITY' ORDER BY cbs_code`)
      .finally(() => client.end());
    const municipalities = codes.rows.map((r) => r.cbs_code);
    report.municipalities = municipalities.length;
    report.gateway = await pickFanoutGateway(dataset.url, bound, hubGatewayId);
    if (!report.gateway) return { ...report, error: `no OPERATIONAL gateway other than the W3 hub with at most ${bound} transitive dependants reaches a municipality` };
    const gatewayId = report.gateway.id;

    // What changes, and to what, when the gateway goes down and comes back.
    const source = floor ?? ketenbeeld;
    const down = await whatIf(source, gatewayId, 'MAJOR_OUTAGE', headers);
    const up = await whatIf(source, gatewayId, 'OPERATIONAL', headers);
    let disagreements: number | null = null;
    if (source !== ketenbeeld) {
      const [kDown, kUp] = [await whatIf(ketenbeeld, gatewayId, 'MAJOR_OUTAGE', headers), await whatIf(ketenbeeld, gatewayId, 'OPERATIONAL', headers)];
      const differ = (a: Map<string, string>, b: Map<string, string>) =>
        [...new Set([...a.keys(), ...b.keys()])].filter((key) => a.get(key) !== b.get(key)).length;
      disagreements = differ(down, kDown) + differ(up, kUp);
    }
    const expected: FanoutConfig['expected'] = {};
    const services = new Set<string>();
    for (const key of new Set([...down.keys(), ...up.keys()])) {
      const [cbs, serviceId] = key.split('\t');
      const change = { down: down.get(key) ?? 'OPERATIONAL', up: up.get(key) ?? 'OPERATIONAL' };
      if (change.down === change.up) continue;
      (expected[cbs] ??= {})[serviceId] = change;
      services.add(serviceId);
    }
    report.expectation = {
      source: source === ketenbeeld ? 'ketenbeeld\'s impact' : 'the floor\'s impact',
      services: services.size, municipalities: Object.keys(expected).length,
      deliveries: Object.values(expected).reduce((sum, m) => sum + Object.keys(m).length, 0),
      disagreements,
    };
    if (services.size === 0) return { ...report, error: `the what-if says ${report.gateway.name} going down changes no service` };

    await pinBackends(dataset.name, cores.server);
    report.result = await runFanoutLoad({
      kind: 'fanout', httpUrl: ketenbeeld.url, wsUrl: ketenbeeld.url.replace(/^http/, 'ws'), headers,
      subscriberMunicipalities: Array.from({ length: subscribers }, (_, i) => municipalities[i % municipalities.length]),
      gatewayId, expected, flips, countingFlips: { none: 2, onePerMunicipality: Math.min(4, flips) }, timeoutSeconds: 10,
      database: statistics ? dataset.name : null,
    }, cores.load);
    return report;
  } catch (error) {
    return { ...report, error: error instanceof Error ? error.message : String(error) };
  }
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
      // ketenbeeld builds its stored picture before it answers: minutes at scale 1 on one core.
      const started = performance.now();
      servers.set(name, await startServer(serverSpec(name, dataset.url, serverCore, options.cpuProfile ? profileDir : undefined), name === 'ketenbeeld' ? 900 : 60));
      log(`started ${name} (answering after ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    } catch (error) {
      notRunnable[name] = error instanceof Error ? error.message : String(error);
      log(`${name} not runnable: ${notRunnable[name]}`);
    }
  }

  const workloads: WorkloadOutcome[] = [];
  const notAvailable: RunReport['notAvailable'] = [];
  /** Whether `--only` asks for a part; a part it leaves out is listed as not asked for. */
  const wants = (part: string, title = part): boolean => {
    if (options.only === null || options.only.has(part)) return true;
    if (PARTS.includes(part)) notAvailable.push({ id: part, title, reason: 'not asked for (--only)' });
    return false;
  };
  const peakMemoryMiB: Record<string, number | null> = {};
  /** ketenbeeld's peak resident memory (VmHWM) after each part, in the order they ran: which part set the peak. */
  const peakAfterPart: { part: string; peakMiB: number | null }[] = [];
  const notePeak = (part: string) => {
    const ketenbeeld = servers.get('ketenbeeld');
    if (!ketenbeeld) return;
    const peakMiB = ketenbeeld.peakMemoryMiB();
    peakAfterPart.push({ part, peakMiB });
    log(`ketenbeeld peak memory after ${part}: ${peakMiB ?? '–'} MiB`);
  };
  /** After each part: ketenbeeld's peak memory so far, then the dead rows the part left cleaned away (vacuumDataset). */
  const afterPart = async (part: string) => {
    notePeak(part);
    log(`VACUUM (ANALYZE) after ${part}: ${(await vacuumDataset(dataset.name)).toFixed(1)} s`);
  };
  let fanout: RunReport['fanout'] = null;
  let dependants: DependantsCheck | null = null;
  let w7: W7Report | null = null;
  let mixed: MixedReport | null = null;
  let publicPressure: PublicPressureReport | null = null;
  let publicPage: PublicPageOutcome | null = null;
  let webhooks: WebhookBenchReport | null = null;
  try {
    const ketenbeeld = servers.get('ketenbeeld');
    const headers = ketenbeeld ? await issueCoordinatorToken(dataset.url) : {};
    const schema = ketenbeeld ? await probeSchema(ketenbeeld, headers) : null;
    const inputs = await pickInputs(dataset.url, options.municipalities, options.seed);
    const municipalityHeaders = ketenbeeld ? await issueMunicipalityTokens(dataset.url, inputs.municipalities) : [];
    notePeak('start');
    const rootFields = schema ? new Set([
      ...[...schema.query].map((f) => `Query.${f}`), ...[...schema.mutation].map((f) => `Mutation.${f}`),
      ...[...schema.subscription].map((f) => `Subscription.${f}`),
    ]) : null;
    const defined = defineWorkloads(inputs, rootFields, notRunnable.ketenbeeld ? `not runnable: ${notRunnable.ketenbeeld}` : null, municipalityHeaders);
    for (const workload of defined) {
      if (!wants(workload.id)) continue;
      if (workload.writes && workload.participants.length > 0) await markWritten(dataset.name, options.scale, options.seed);
      workloads.push(await measureWorkload(workload, servers, {
        rounds: options.rounds, seconds: options.seconds, minimumRequests: options.quick ? 2 : 4, validationSeconds: options.quick ? 2 : 15, serverCore, loadCore,
        database: dataset.name, headers, statementStatistics: statistics === null, log,
      }));
      await afterPart(workload.id);
    }
    if (ketenbeeld && schema?.mutation.has('reportStatus') && schema.query.has('municipality') && wants('pressure', 'public pressure')) {
      await markWritten(dataset.name, options.scale, options.seed);
      // A token of its own: rate-limit counts live in the database, shared by every instance, and the
      // run's coordinator token has spent far more than a server at default limits allows per minute.
      const pressureHeaders = await issueCoordinatorToken(dataset.url);
      publicPressure = await measurePublicPressure({
        datasetUrl: dataset.url, database: dataset.name, headers: pressureHeaders, quietGatewayIds: inputs.quietGatewayIds, municipalities: inputs.municipalities,
        rounds: options.rounds, secondsPerPhase: options.quick ? 20 : 30, serverCore, loadCore, log,
      });
      await afterPart('public pressure');
    }
    if (ketenbeeld && wants('W6', 'public status page')) {
      // Its peer, the floor's W1L, runs in W6's own rounds, alternating with the page.
      const floorServer = servers.get('floor');
      const w1lFloor = defined.find((w) => w.id === 'W1L')?.participants.find((p) => p.name === 'floor');
      const floor = floorServer && w1lFloor ? { server: floorServer, bodies: w1lFloor.bodies } : undefined;
      publicPage = await measurePublicPage(ketenbeeld, inputs.municipalities, workloads, { rounds: options.rounds, seconds: options.seconds, loadCore, log, floor });
    }
    if (publicPage) await afterPart('W6');
    const webhooksSkipped = !ketenbeeld || !schema ? `ketenbeeld not runnable: ${notRunnable.ketenbeeld}`
      : !schema.mutation.has('createWebhookEndpoint') ? 'schema has no Mutation.createWebhookEndpoint'
        : inputs.quietGatewayIds.length === 0 ? 'the dataset has no gateway nothing depends on' : null;
    if (webhooksSkipped) notAvailable.push({ id: 'webhooks', title: 'webhook delivery to 200 endpoints', reason: webhooksSkipped });
    if (ketenbeeld && !webhooksSkipped && wants('webhooks', 'webhook delivery to 200 endpoints')) {
      await markWritten(dataset.name, options.scale, options.seed);
      log('webhook delivery to 200 endpoints on 127.0.0.1');
      try {
        webhooks = await measureWebhookDelivery({
          graphqlUrl: ketenbeeld.url, callers: await benchCallers(dataset.url, 4), gatewayId: inputs.quietGatewayIds[0],
          endpoints: 200, flips: options.quick ? 10 : 40, timeoutSeconds: 30,
        });
        log(`webhooks: ${webhooks.deliveries} deliveries, ${webhooks.missing} missing${webhooks.missingByFlip?.length ? ` (flips ${webhooks.missingByFlip.map((m) => m.flip).join(', ')})` : ''}, ${webhooks.late ?? 0} late, p50 ${webhooks.p50Ms.toFixed(0)} ms, p99 ${webhooks.p99Ms.toFixed(0)} ms`);
      } catch (error) {
        // Said in the report rather than ending the run (and losing every result before it).
        const reason = error instanceof Error ? error.message : String(error);
        notAvailable.push({ id: 'webhooks', title: 'webhook delivery to 200 endpoints', reason: `stopped: ${reason.slice(0, 300)}` });
        log(`webhooks stopped: ${reason}`);
      }
      await afterPart('webhooks');
    }
    if (!wants('W5', 'subscription fan-out (graphql-ws)')) {
      // not asked for
    } else if (!ketenbeeld || !schema) {
      notAvailable.push({ id: 'W5', title: 'subscription fan-out (graphql-ws)', reason: `ketenbeeld not runnable: ${notRunnable.ketenbeeld}` });
    } else if (!schema.subscription.has('statusChanged')) {
      notAvailable.push({ id: 'W5', title: 'subscription fan-out (graphql-ws)', reason: 'schema has no Subscription.statusChanged' });
    } else {
      await markWritten(dataset.name, options.scale, options.seed);
      const started = performance.now();
      fanout = await measureFanout(ketenbeeld, servers.get('floor'), dataset, statistics === null, inputs.hubGatewayId, headers, options,
        { server: serverCore, load: loadCore });
      const r = fanout.result;
      const took = `${((performance.now() - started) / 1000).toFixed(1)} s`;
      if (r) {
        const measured = r.phases[r.phases.length - 1];
        log(`W5 ${r.subscribers} subscribers, ${fanout.gateway?.name} down/up ${r.flips}×: last event after the acknowledgement p50 ${r.fromAckMs.p50.toFixed(0)} ms, `
          + `p99 ${r.fromAckMs.p99.toFixed(0)} ms; ${measured.missing} missing, ${measured.spurious} spurious; `
          + `SQL per flip ${r.phases.map((p) => `${p.subscribers} subscribers ${p.statementsPerFlip?.toFixed(1) ?? '–'}`).join(', ')} (${took})`);
      } else {
        log(`W5 not measured: ${fanout.error} (${took})`);
      }
      await afterPart('W5');
    }
    const floor = servers.get('floor');
    if (ketenbeeld && schema?.mutation.has('reportStatus') && floor && wants('dependants', 'W4 with dependants')) {
      await markWritten(dataset.name, options.scale, options.seed);
      const started = performance.now();
      dependants = await checkReportsWithDependants(ketenbeeld, floor, dataset.url, inputs.hubGatewayId, headers, options.quick ? 3 : 7);
      const agreeing = dependants.reports.filter((r) => r.overviewAgrees && r.impactAgrees).length;
      log(`W4 with dependants: ${agreeing} of ${dependants.reports.length} reports agree with the floor afterwards`
        + `${dependants.error ? `; stopped: ${dependants.error}` : ''} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
      await afterPart('W4 with dependants');
    }
    const w7Skipped = !ketenbeeld || !schema ? `ketenbeeld not runnable: ${notRunnable.ketenbeeld}`
      : !schema.mutation.has('reportStatuses') ? 'schema has no Mutation.reportStatuses'
        : !floor ? `the floor (the expected answers) not runnable: ${notRunnable.floor}` : null;
    if (w7Skipped) notAvailable.push({ id: 'W7', title: "a vendor's bulk shutdown (reportStatuses)", reason: w7Skipped });
    if (ketenbeeld && floor && !w7Skipped && wants('W7', "a vendor's bulk shutdown (reportStatuses)")) {
      await markWritten(dataset.name, options.scale, options.seed);
      w7 = await measureBulkShutdown(ketenbeeld, floor, dataset.url, { gateways: 300, rounds: options.quick ? 4 : 10, readHeaders: headers, log });
      log(`W7 bulk shutdown: ${w7.gateways} gateways, right after p50 ${Math.round(w7.rightAfterMs.p50)} ms, p99 ${Math.round(w7.rightAfterMs.p99)} ms${w7.error ? `; stopped: ${w7.error}` : ''}`);
      await afterPart('W7');
    }
    if (ketenbeeld && schema?.mutation.has('reportStatus') && wants('mixed', 'W4 mixed')) {
      await markWritten(dataset.name, options.scale, options.seed);
      const started = performance.now();
      mixed = await measureMixed(ketenbeeld, floor, {
        url: dataset.url, database: dataset.name, headers, hubGatewayId: inputs.hubGatewayId, quietGatewayIds: inputs.quietGatewayIds,
        others: options.quick ? 3 : 7, rounds: options.rounds, seconds: options.seconds, serverCore, loadCore, log,
      });
      log(`W4 mixed: ${mixed.throughput?.toFixed(1) ?? '–'} reports/s, hub reports ${mixed.hubMs.map((x) => x.toFixed(0)).join('/')} ms`
        + `${mixed.error ? `; stopped: ${mixed.error}` : ''} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
      await afterPart('W4 mixed');
    }
    for (const [name, server] of servers) peakMemoryMiB[name] = server.peakMemoryMiB();
  } finally {
    stopLoadGenerator();
    for (const server of servers.values()) await server.stop();
  }

  const git = gitState();
  const report: RunReport = {
    startedAt, finishedAt: new Date().toISOString(), mode: options.quick ? 'quick' : 'full',
    options: { scale: options.scale, seed: options.seed, rounds: options.rounds, seconds: options.seconds, ...(options.only ? { only: [...options.only] } : {}) },
    machine: { cpus: os.cpus().length, node: nodeVersions(), postgres: `PostgreSQL ${postgresVersion}`, serverCore, loadCore },
    ketenbeeld: { ...git, runnable: notRunnable.ketenbeeld ? `not runnable: ${notRunnable.ketenbeeld}` : `built with npm run build, started as ${['node', ...ketenbeeldNodeFlags(), 'dist/src/main.js'].join(' ')}` },
    dataset: { name: dataset.name, counts: dataset.counts, reused: dataset.reused, loadSeconds: dataset.seconds.load },
    statementStatistics: statistics ?? 'pg_stat_statements (track = top), per request, transaction control and SET not counted',
    floorAssumptionViolations: violations, notRunnable, workloads, fanout, dependants, mixed, w7, notAvailable, peakMemoryMiB, peakAfterPart,
  };
  const resultsDir = path.join(REPO, 'bench/results');
  fs.mkdirSync(resultsDir, { recursive: true });
  // A partial run (--only) names its parts and leaves latest-<mode>.md to the whole runs.
  const stem = path.basename(freshResultStem(resultsDir, `${startedAt.slice(0, 10)}-${report.mode}-s${options.scale}${options.only ? `-only-${[...options.only].join('-')}` : ''}`));
  fs.writeFileSync(path.join(resultsDir, `${stem}.json`), JSON.stringify({ ...report, publicPressure, publicPage, webhooks }, null, 2) + '\n');
  const text = markdown(report) + mixedMarkdown(mixed) + (publicPressure ? `\n${publicPressureMarkdown(publicPressure)}` : '') + publicPageMarkdown(publicPage)
    + (webhooks ? `\n${webhookMarkdown(webhooks, 'The bench dataset; ketenbeeld as in the workloads above, the receivers in the harness process.')}\n` : '');
  fs.writeFileSync(path.join(resultsDir, `${stem}.md`), text);
  if (!options.only) fs.writeFileSync(path.join(resultsDir, `latest-${report.mode}.md`), text);
  console.log(`\n${text}`);
  log(`results: bench/results/${stem}.md and .json`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
