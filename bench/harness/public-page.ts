import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { median, post, runLoad } from './load';
import type { LoadResult } from './load-worker';
import { NORMALISERS } from './normalisers';
import type { Json } from './validate';
import type { WorkloadOutcome } from './measure';
import { RAW_DIR, REPO, systemNode } from './paths';
import type { PageLoadConfig, PageLoadResult } from './public-page-worker';
import type { RunningServer } from './server-process';

/**
 * W6: the public status page (`GET /status/<cbs>`, src/web/) for the run's random municipalities,
 * as the public (no token), ketenbeeld only. Uncached: every request renders the page from the
 * public API. Conditional: each request carries the ETag of the page it holds and must get 304.
 * Targets: uncached throughput ≥ 0.7× the floor's W1L (the dashboard from the stored picture in
 * one SQL statement), conditional ≥ 10× uncached. With the floor running, its W1L is measured in
 * W6's own rounds, alternating with the uncached page (page, floor; floor, page; ...), and the ratio
 * is the median of the per-round ratios: a W1L part run a quarter of an hour earlier may have met
 * another phase of the machine.
 */
export interface PublicPageOutcome {
  municipalities: number;
  uncached: PageLoadResult[];
  conditional: PageLoadResult[];
  uncachedThroughput: number | null;
  conditionalThroughput: number | null;
  /** The peer throughput the uncached target compares with, and where it came from. */
  peer: { workload: string; throughput: number | null };
  /** The floor's W1L runs alternating with the uncached page, one per round (empty without a floor). */
  peerRuns?: LoadResult[];
  ratios: { uncachedToPeer: number | null; conditionalToUncached: number | null };
  error: string | null;
}

function runPageLoad(config: PageLoadConfig, core: number): PageLoadResult {
  fs.mkdirSync(RAW_DIR, { recursive: true });
  const file = path.join(RAW_DIR, `w6-${process.pid}-${Date.now()}.json`);
  fs.writeFileSync(file, JSON.stringify(config));
  try {
    const worker = path.join(REPO, 'bench/dist/bench/harness/public-page-worker.js');
    const run = spawnSync('taskset', ['-c', String(core), systemNode(), worker, file], { encoding: 'utf8', timeout: 300_000 });
    if (run.status !== 0) throw new Error(`W6 load failed: ${run.stderr.slice(-300)}`);
    return JSON.parse(run.stdout) as PageLoadResult;
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** The floor's throughput on W1L (falling back to W1 while W1L is not in the run) from this run's outcomes. */
function peerThroughput(workloads: WorkloadOutcome[]): PublicPageOutcome['peer'] {
  for (const id of ['W1L', 'W1']) {
    const floor = workloads.find((w) => w.id === id)?.contenders.find((c) => c.name === 'floor');
    if (floor?.peakThroughput) return { workload: `${id} floor`, throughput: floor.peakThroughput };
  }
  return { workload: 'W1L floor', throughput: null };
}

/** The floor answering W1L, to run alternating with the page: its server and W1L's request bodies. */
export interface FloorPeer {
  server: RunningServer;
  bodies: string[];
}

/** A saturation run of the floor on W1L, sized like the page's: every answer checked against the floor's own first answers. */
async function floorRun(floor: FloorPeer, expected: string[], singleMs: number, seconds: number, core: number): Promise<LoadResult> {
  return runLoad({
    url: floor.server.url, headers: {}, connections: 4, durationSeconds: seconds, timeoutSeconds: 30,
    amount: Math.max(20, Math.ceil((seconds * 1000) / Math.max(0.05, singleMs))),
    bodies: floor.bodies, expected, normaliser: 'dashboard',
  }, core);
}

export async function measurePublicPage(
  ketenbeeld: RunningServer, municipalities: string[], workloads: WorkloadOutcome[],
  settings: { rounds: number; seconds: number; loadCore: number; log: (line: string) => void; floor?: FloorPeer },
): Promise<PublicPageOutcome> {
  const origin = ketenbeeld.url.replace(/\/graphql$/, '');
  const floor = settings.floor;
  const outcome: PublicPageOutcome = {
    municipalities: municipalities.length, uncached: [], conditional: [], uncachedThroughput: null, conditionalThroughput: null,
    peer: floor ? { workload: 'W1L floor, alternating with the page', throughput: null } : peerThroughput(workloads), peerRuns: [],
    ratios: { uncachedToPeer: null, conditionalToUncached: null }, error: null,
  };
  try {
    // The floor's answers, one request at a time: what its runs are checked against, and how long one takes.
    const floorExpected: string[] = [];
    let floorSingleMs = 0;
    for (const body of floor?.bodies ?? []) {
      const answer = await post(floor!.server.url, body);
      if (answer.status !== 200) throw new Error(`the floor failed on W1L: HTTP ${answer.status}`);
      floorExpected.push(JSON.stringify(NORMALISERS.dashboard.expected(answer.json as Json)));
      floorSingleMs += answer.ms / floor!.bodies.length;
    }
    const paths = municipalities.map((cbs) => `/status/${cbs}`);
    const started = performance.now();
    for (const p of paths) {
      const response = await fetch(`${origin}${p}`);
      if (response.status !== 200) throw new Error(`${p}: HTTP ${response.status}`);
      await response.text();
    }
    const singleMs = (performance.now() - started) / paths.length;
    const amount = (ms: number) => Math.max(20, Math.ceil((settings.seconds * 1000) / Math.max(0.05, ms)));
    const base = { origin, connections: 4, timeoutSeconds: 30 };
    for (let round = 0; round < settings.rounds; round++) {
      const pageFirst = round % 2 === 0;
      if (floor && !pageFirst) outcome.peerRuns!.push(await floorRun(floor, floorExpected, floorSingleMs, settings.seconds, settings.loadCore));
      outcome.uncached.push(runPageLoad({
        ...base, requests: paths.map((p) => ({ path: p, ifNoneMatch: null })), expectStatus: 200, amount: amount(singleMs),
      }, settings.loadCore));
      if (floor && pageFirst) outcome.peerRuns!.push(await floorRun(floor, floorExpected, floorSingleMs, settings.seconds, settings.loadCore));
      // The tags are fetched just before the run, as readers' browsers hold the page they loaded last.
      const held = await Promise.all(paths.map(async (p) => ({ path: p, ifNoneMatch: (await fetchAgain(`${origin}${p}`)).headers.get('etag') })));
      outcome.conditional.push(runPageLoad({
        ...base, requests: held, expectStatus: 304, amount: amount(singleMs / 10),
      }, settings.loadCore));
      settings.log(`W6 round ${round + 1}/${settings.rounds}: uncached ${outcome.uncached[round].throughput.toFixed(1)}/s, `
        + `conditional ${outcome.conditional[round].throughput.toFixed(1)}/s${floor ? `, W1L floor ${outcome.peerRuns![round].throughput.toFixed(1)}/s` : ''}`);
    }
    outcome.uncachedThroughput = median(outcome.uncached.map((r) => r.throughput));
    outcome.conditionalThroughput = median(outcome.conditional.map((r) => r.throughput));
    if (floor) {
      const wrong = outcome.peerRuns!.reduce((sum, r) => sum + r.wrongAnswers + r.errors + r.timeouts, 0);
      if (wrong > 0) throw new Error(`the floor's W1L runs had ${wrong} wrong or failed answers`);
      outcome.peer.throughput = median(outcome.peerRuns!.map((r) => r.throughput));
      outcome.ratios.uncachedToPeer = outcome.uncachedThroughput ? median(outcome.uncached.map((r, i) => r.throughput / outcome.peerRuns![i].throughput)) : null;
    } else {
      const { throughput } = outcome.peer;
      outcome.ratios.uncachedToPeer = outcome.uncachedThroughput && throughput ? outcome.uncachedThroughput / throughput : null;
    }
    outcome.ratios.conditionalToUncached = outcome.uncachedThroughput && outcome.conditionalThroughput
      ? median(outcome.conditional.map((r, i) => r.throughput / outcome.uncached[i].throughput)) : null;
  } catch (error) {
    outcome.error = error instanceof Error ? error.message : String(error);
  }
  return outcome;
}

/**
 * fetch, asked once more when the connection it reused turns out closed: the load runs block this
 * process's event loop for longer than the server keeps an idle connection open, so the pool does
 * not see the close until it writes on the socket ("fetch failed").
 */
async function fetchAgain(url: string): Promise<Response> {
  try {
    return await fetch(url);
  } catch {
    return fetch(url);
  }
}

function n(value: number | null, digits = 1): string {
  return value === null || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

/** W6's section of the run's Markdown. */
export function publicPageMarkdown(outcome: PublicPageOutcome | null): string {
  if (!outcome) return '';
  const wrong = [...outcome.uncached, ...outcome.conditional].reduce((sum, r) => sum + r.wrong, 0);
  const met = (value: number | null, target: number) => (value === null ? 'not measured' : value >= target ? 'yes' : '**no**');
  const p50 = (results: PageLoadResult[]) => n(median(results.map((r) => r.latencyMs.p50)));
  return [
    '',
    '## W6 public status page (`GET /status/<cbs>`, no token)',
    '',
    `${outcome.municipalities} random municipalities, round-robin, ${outcome.uncached.length} rounds; conditional requests carry the ETag of the page.`
      + `${outcome.error ? ` Stopped: ${outcome.error}` : ''}`,
    '',
    '| target | measured | met |',
    '|---|---|---|',
    `| uncached throughput ≥ 0.7× ${outcome.peer.workload} (${n(outcome.peer.throughput)}/s) | ${n(outcome.ratios.uncachedToPeer, 2)}× (${n(outcome.uncachedThroughput)}/s, p50 ${p50(outcome.uncached)} ms) | ${met(outcome.ratios.uncachedToPeer, 0.7)} |`,
    `| conditional (304) throughput ≥ 10× uncached | ${n(outcome.ratios.conditionalToUncached, 1)}× (${n(outcome.conditionalThroughput)}/s, p50 ${p50(outcome.conditional)} ms) | ${met(outcome.ratios.conditionalToUncached, 10)} |`,
    `| wrong or failed answers | ${wrong} | ${wrong === 0 ? 'yes' : '**no**'} |`,
    '',
    ...(outcome.peerRuns?.length ? [
      `Per round (the page and the floor's W1L alternating, page first in odd rounds): uncached ${outcome.uncached.map((r) => n(r.throughput)).join(', ')}/s; `
        + `W1L floor ${outcome.peerRuns.map((r) => n(r.throughput)).join(', ')}/s.`, '',
    ] : []),
  ].join('\n');
}
