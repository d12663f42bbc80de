import type { ContenderName } from './contenders';
import { median, post, runLoad } from './load';
import type { LoadConfig, LoadResult } from './load-worker';
import { NORMALISERS } from './normalisers';
import { pinBackends, resetStatementStatistics, statementCount, statementList } from './postgres';
import type { RunningServer } from './server-process';
import { differences, Json } from './validate';
import type { Workload } from './workloads';

export interface Settings {
  rounds: number;
  seconds: number;
  /** The fewest requests a saturation run sends, however slow the contender. */
  minimumRequests: number;
  /** How long the one-at-a-time validation of a contender may take (it checks at least one input). */
  validationSeconds: number;
  serverCore: number;
  loadCore: number;
  database: string;
  /** Sent with every request (ketenbeeld's bearer token; the others ignore it). */
  headers: Record<string, string>;
  statementStatistics: boolean;
  log: (line: string) => void;
}

export interface ContenderOutcome {
  name: ContenderName;
  validation: { checked: number; wrong: number; problems: string[] };
  singleRequestMs: number | null;
  statementsPerRequest: number | null;
  /** ketenbeeld only: its statements per request, most frequent first (from pg_stat_statements). */
  statements: { perRequest: number; query: string }[];
  saturation: LoadResult[];
  fixedRate: LoadResult[];
  fixedRatePerSecond: number | null;
  peakThroughput: number | null;
  p50: number | null;
  p99: number | null;
}

export interface WorkloadOutcome {
  id: string;
  title: string;
  inputs: string;
  ketenbeeldMissing: string | null;
  error: string | null;
  contenders: ContenderOutcome[];
  /** ketenbeeld against each peer: median of per-round ratios. Throughput: ketenbeeld ÷ peer (higher is better); latency: ketenbeeld ÷ peer (lower is better). */
  ratios: Record<string, { throughput: number | null; p50: number | null; p99: number | null }>;
}

function wrongIn(result: LoadResult): number {
  return result.wrongAnswers + result.errors + result.timeouts;
}

/** Measures one workload: expected answers from the floor, validation, SQL counts, saturation rounds, fixed-rate rounds. */
export async function measureWorkload(workload: Workload, servers: Map<ContenderName, RunningServer>, s: Settings): Promise<WorkloadOutcome> {
  const outcome: WorkloadOutcome = {
    id: workload.id, title: workload.title, inputs: workload.inputs, ketenbeeldMissing: workload.ketenbeeldMissing,
    error: null, contenders: [], ratios: {},
  };
  const floor = servers.get('floor');
  if (!floor && workload.floorBodies.length > 0) return { ...outcome, error: 'the floor is not running, so no answer can be checked' };
  // Requests that must differ from each other (idempotency keys) get a fresh value each time.
  let unique = 0;
  const materialise = (body: string) =>
    workload.uniqueToken ? body.split(workload.uniqueToken).join(`harness-${process.pid}-${Date.now()}-${unique++}`) : body;

  // The floor's answers are the expected ones.
  const floorAnswers: Json[] = [];
  for (const body of workload.floorBodies) {
    if (!floor) break;
    const answer = await post(floor.url, body, s.headers);
    const errors = (answer.json as { errors?: unknown[] }).errors;
    if (answer.status !== 200 || (errors && errors.length > 0)) return { ...outcome, error: `the floor failed: ${JSON.stringify(answer.json).slice(0, 300)}` };
    floorAnswers.push(answer.json as Json);
  }

  const participants = workload.participants.filter((p) => servers.has(p.name));
  // A participant's own headers for a body replace the run's (a municipality's token, or none for the public).
  const headersFor = (participant: Workload['participants'][number], i: number) => participant.headers?.[i % participant.headers.length] ?? s.headers;
  const expectedFor = new Map<ContenderName, string[]>();
  for (const participant of participants) {
    const server = servers.get(participant.name)!;
    const normaliser = NORMALISERS[participant.normaliser];
    const expected = workload.floorBodies.length > 0
      ? floorAnswers.map((answer) => JSON.stringify(normaliser.expected(answer)))
      : participant.bodies.map(() => JSON.stringify(normaliser.expected(null)));
    const result: ContenderOutcome = {
      name: participant.name, validation: { checked: 0, wrong: 0, problems: [] }, singleRequestMs: null, statementsPerRequest: null, statements: [],
      saturation: [], fixedRate: [], fixedRatePerSecond: null, peakThroughput: null, p50: null, p99: null,
    };
    // Validation, one request at a time: every input once, or as many as fit in the time allowed (at least one).
    const started = Date.now();
    const times: number[] = [];
    for (let i = 0; i < participant.bodies.length && (i === 0 || Date.now() - started < s.validationSeconds * 1000); i++) {
      const answer = await post(server.url, materialise(participant.bodies[i]), headersFor(participant, i));
      times.push(answer.ms);
      result.validation.checked++;
      const errors = (answer.json as { errors?: unknown[] } | null)?.errors;
      const problems = errors && errors.length > 0
        ? [`GraphQL errors: ${JSON.stringify(errors).slice(0, 300)}`]
        : differences(JSON.parse(expected[i]) as Json, normaliser.actual(answer.json as Json));
      if (problems.length > 0) {
        result.validation.wrong++;
        if (result.validation.problems.length < 5) result.validation.problems.push(`input ${i}: ${problems.join('; ')}`);
      }
    }
    result.singleRequestMs = median(times.slice(1).length > 0 ? times.slice(1) : times);
    s.log(`${workload.id} ${participant.name}: ${result.validation.checked} answers checked, ${result.validation.wrong} wrong, ~${Math.round(result.singleRequestMs ?? 0)} ms each`);

    if (s.statementStatistics) {
      const count = Math.min(participant.bodies.length, (result.singleRequestMs ?? 0) > 1000 ? 2 : 5);
      await resetStatementStatistics();
      for (let i = 0; i < count; i++) await post(server.url, materialise(participant.bodies[i]), headersFor(participant, i));
      result.statementsPerRequest = (await statementCount(s.database)) / count;
      if (participant.name === 'ketenbeeld') {
        result.statements = (await statementList(s.database, 12)).map((x) => ({ perRequest: x.calls / count, query: x.query }));
      }
    }
    outcome.contenders.push(result);
    expectedFor.set(participant.name, expected);
  }

  // A saturation run sends a fixed number of requests, sized from the single-request time to last about
  // `seconds` (at least `minimumRequests`), over 4 connections (2 for a contender that needs over half a second): enough to keep one core busy, and a
  // contender that needs seconds per answer still completes its requests. A fixed-rate run is timed.
  const configFor = (c: ContenderOutcome, rate?: number): LoadConfig => {
    const participant = participants.find((p) => p.name === c.name)!;
    const singleMs = Math.max(1, c.singleRequestMs ?? 100);
    const connections = singleMs > 500 ? 2 : 4;
    return {
      url: servers.get(c.name)!.url,
      headers: s.headers,
      ...(participant.headers ? { bodyHeaders: participant.headers } : {}),
      connections,
      durationSeconds: s.seconds,
      // A fixed-rate run lasts `seconds`, but sends at least two requests however low the rate.
      ...(rate ? { overallRate: rate } : { amount: Math.max(s.minimumRequests, connections, Math.ceil((s.seconds * 1000) / singleMs)) }),
      timeoutSeconds: Math.max(30, Math.ceil((singleMs * 20) / 1000)),
      bodies: participant.bodies,
      ...(workload.uniqueToken ? { uniqueToken: workload.uniqueToken } : {}),
      expected: expectedFor.get(c.name)!,
      normaliser: participant.normaliser,
    };
  };

  // Warm-up (not recorded): the first saturated seconds of a Node server are slower (JIT, pools).
  for (const c of outcome.contenders.filter((x) => (x.singleRequestMs ?? 0) < 500)) {
    const config = configFor(c);
    await runLoad({ ...config, amount: Math.max(config.connections, Math.ceil((config.amount ?? 8) / 2)) }, s.loadCore);
  }

  // Saturation: every contender once per round, the order reversed every other round (A B A B ...).
  for (let round = 0; round < s.rounds; round++) {
    const order = round % 2 === 0 ? outcome.contenders : [...outcome.contenders].reverse();
    for (const c of order) {
      await pinBackends(s.database, s.serverCore);
      const result = await runLoad(configFor(c), s.loadCore);
      c.saturation.push(result);
      if (wrongIn(result) > 0 && c.validation.problems.length < 5) c.validation.problems.push(...result.problems);
    }
    s.log(`${workload.id} saturation round ${round + 1}/${s.rounds}: ${outcome.contenders.map((c) => `${c.name} ${c.saturation[round].throughput.toFixed(1)}/s`).join(', ')}`);
  }
  for (const c of outcome.contenders) c.peakThroughput = median(c.saturation.map((r) => r.throughput));

  // Latency at a fixed rate: half the peak of the slower of ketenbeeld and the floor, the pair the
  // latency targets compare. PostGraphile and the naive server are too slow for that rate to mean
  // anything for them; their latency under saturation is in the JSON.
  const latencyPair = outcome.contenders.filter((c) => c.name === 'ketenbeeld' || c.name === 'floor');
  const slowestPeak = Math.min(...latencyPair.map((c) => c.peakThroughput ?? Infinity));
  if (Number.isFinite(slowestPeak) && slowestPeak > 0) {
    const rate = Math.round(slowestPeak * 50) / 100 || slowestPeak / 2;
    for (let round = 0; round < s.rounds; round++) {
      const order = round % 2 === 0 ? latencyPair : [...latencyPair].reverse();
      for (const c of order) {
        await pinBackends(s.database, s.serverCore);
        const result = await runLoad(configFor(c, rate), s.loadCore);
        c.fixedRate.push(result);
        c.fixedRatePerSecond = rate;
        if (wrongIn(result) > 0 && c.validation.problems.length < 5) c.validation.problems.push(...result.problems);
      }
    }
    for (const c of latencyPair) {
      c.p50 = median(c.fixedRate.map((r) => r.latencyMs.p50));
      c.p99 = median(c.fixedRate.map((r) => r.latencyMs.p99));
    }
    s.log(`${workload.id} latency at ${rate}/s: ${latencyPair.map((c) => `${c.name} p50 ${c.p50?.toFixed(0)} ms p99 ${c.p99?.toFixed(0)} ms`).join(', ')}`);
  }

  const ketenbeeld = outcome.contenders.find((c) => c.name === 'ketenbeeld');
  if (ketenbeeld) {
    for (const peer of outcome.contenders.filter((c) => c !== ketenbeeld)) {
      const perRound = (pick: (k: LoadResult, p: LoadResult) => number, a: LoadResult[], b: LoadResult[]) =>
        median(a.slice(0, Math.min(a.length, b.length)).map((r, i) => pick(r, b[i])));
      outcome.ratios[peer.name] = {
        throughput: perRound((k, p) => k.throughput / p.throughput, ketenbeeld.saturation, peer.saturation),
        p50: peer.fixedRate.length ? perRound((k, p) => k.latencyMs.p50 / p.latencyMs.p50, ketenbeeld.fixedRate, peer.fixedRate) : null,
        p99: peer.fixedRate.length ? perRound((k, p) => k.latencyMs.p99 / p.latencyMs.p99, ketenbeeld.fixedRate, peer.fixedRate) : null,
      };
    }
  }
  return outcome;
}
