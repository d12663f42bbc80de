import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { median } from './load';
import type { WorkloadOutcome } from './measure';
import { RAW_DIR, REPO, systemNode } from './paths';
import type { PageLoadConfig, PageLoadResult } from './public-page-worker';
import type { RunningServer } from './server-process';

/**
 * W6: the public status page (`GET /status/<cbs>`, src/web/) for the run's random municipalities,
 * as the public (no token), ketenbeeld only. Uncached: every request renders the page from the
 * public API. Conditional: each request carries the ETag of the page it holds and must get 304.
 * Targets: uncached throughput ≥ 0.7× the floor's W1L (the dashboard from the stored picture in
 * one SQL statement), conditional ≥ 10× uncached.
 */
export interface PublicPageOutcome {
  municipalities: number;
  uncached: PageLoadResult[];
  conditional: PageLoadResult[];
  uncachedThroughput: number | null;
  conditionalThroughput: number | null;
  /** The peer throughput the uncached target compares with, and where it came from. */
  peer: { workload: string; throughput: number | null };
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

export async function measurePublicPage(
  ketenbeeld: RunningServer, municipalities: string[], workloads: WorkloadOutcome[],
  settings: { rounds: number; seconds: number; loadCore: number; log: (line: string) => void },
): Promise<PublicPageOutcome> {
  const origin = ketenbeeld.url.replace(/\/graphql$/, '');
  const outcome: PublicPageOutcome = {
    municipalities: municipalities.length, uncached: [], conditional: [], uncachedThroughput: null, conditionalThroughput: null,
    peer: peerThroughput(workloads), ratios: { uncachedToPeer: null, conditionalToUncached: null }, error: null,
  };
  try {
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
      outcome.uncached.push(runPageLoad({
        ...base, requests: paths.map((p) => ({ path: p, ifNoneMatch: null })), expectStatus: 200, amount: amount(singleMs),
      }, settings.loadCore));
      // The tags are fetched just before the run, as readers' browsers hold the page they loaded last.
      const held = await Promise.all(paths.map(async (p) => ({ path: p, ifNoneMatch: (await fetchAgain(`${origin}${p}`)).headers.get('etag') })));
      outcome.conditional.push(runPageLoad({
        ...base, requests: held, expectStatus: 304, amount: amount(singleMs / 10),
      }, settings.loadCore));
      settings.log(`W6 round ${round + 1}/${settings.rounds}: uncached ${outcome.uncached[round].throughput.toFixed(1)}/s, `
        + `conditional ${outcome.conditional[round].throughput.toFixed(1)}/s`);
    }
    outcome.uncachedThroughput = median(outcome.uncached.map((r) => r.throughput));
    outcome.conditionalThroughput = median(outcome.conditional.map((r) => r.throughput));
    const { throughput } = outcome.peer;
    outcome.ratios.uncachedToPeer = outcome.uncachedThroughput && throughput ? outcome.uncachedThroughput / throughput : null;
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
  ].join('\n');
}
