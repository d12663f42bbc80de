import fs from 'node:fs';
import http from 'node:http';
import autocannon from 'autocannon';
import { FanoutConfig, runFanout } from './fanout';
import { MixedConfig, runMixed } from './mixed';
import { NORMALISERS, NormaliserName } from './normalisers';
import type { Json } from './validate';

/**
 * Runs autocannon loads in a process of its own, which the harness pins to the load-generator core
 * so it never competes with the server. One process serves the whole run (configs arrive over IPC),
 * so a run does not pay for a Node start. Checks every response against the expected (normalised)
 * answer.
 */
export interface LoadConfig {
  url: string;
  headers: Record<string, string>;
  connections: number;
  durationSeconds: number;
  /** Stop after this many requests instead of after `durationSeconds` (for contenders taking seconds per request). */
  amount?: number;
  /**
   * Requests per second for a fixed-rate run (open loop: each request leaves at its scheduled moment,
   * whatever is still outstanding, and its latency counts from that moment); absent for a saturation run.
   */
  overallRate?: number;
  timeoutSeconds: number;
  /** Per body: headers sent instead of `headers` (a municipality's own token; none for the public). */
  bodyHeaders?: Record<string, string>[];
  /** Request bodies, sent round-robin. */
  bodies: string[];
  /** When set, every occurrence in a body is replaced by a value unique to the request (idempotency keys). */
  uniqueToken?: string;
  /** Per body: JSON.stringify of the normalised expected answer. */
  expected: string[];
  normaliser: NormaliserName;
}

export interface LoadResult {
  requests: number;
  /** Completed requests per second (2xx or not). */
  throughput: number;
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  wrongAnswers: number;
  problems: string[];
}

function checker(config: LoadConfig): { check: (status: number, body: string, index: number) => void; wrong: () => number; problems: string[] } {
  const normalise = NORMALISERS[config.normaliser].actual;
  let wrongAnswers = 0;
  const problems: string[] = [];
  return {
    problems,
    wrong: () => wrongAnswers,
    check(status, body, index) {
      let ok = status === 200;
      if (ok) {
        try {
          ok = JSON.stringify(normalise(JSON.parse(body) as Json)) === config.expected[index];
        } catch {
          ok = false;
        }
      }
      if (!ok) {
        wrongAnswers++;
        if (problems.length < 3) problems.push(`HTTP ${status}: ${body.slice(0, 300)}`);
      }
    },
  };
}

let unique = 0;
const runStamp = `${process.pid}-${Date.now()}`;

function bodyFor(config: LoadConfig, index: number): string {
  const body = config.bodies[index];
  return config.uniqueToken ? body.split(config.uniqueToken).join(`${runStamp}-${unique++}`) : body;
}

function headersFor(config: LoadConfig, index: number): Record<string, string> {
  return { ...(config.bodyHeaders?.[index] ?? config.headers), 'content-type': 'application/json' };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Fixed rate, open loop. autocannon's own rate limit works in whole requests per second per connection,
 * which national-scale W2 and W3 (well under one per second) cannot use; this sends request i at
 * start + i / rate on a keep-alive agent and measures from that moment, so queueing counts in full.
 */
async function runFixedRate(config: LoadConfig): Promise<LoadResult> {
  const rate = config.overallRate!;
  const total = Math.max(2, Math.round(config.durationSeconds * rate));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const url = new URL(config.url);
  const check = checker(config);
  const latencies: number[] = [];
  let errors = 0;
  let timeouts = 0;
  const start = performance.now() + 50;
  const one = (i: number) => new Promise<void>((resolve) => {
    const scheduled = start + (i * 1000) / rate;
    setTimeout(() => {
      const index = i % config.bodies.length;
      const request = http.request({
        agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
        headers: headersFor(config, index), timeout: config.timeoutSeconds * 1000,
      }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          latencies.push(performance.now() - scheduled);
          check.check(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), index);
          resolve();
        });
      });
      request.on('timeout', () => {
        timeouts++;
        request.destroy();
      });
      request.on('error', () => {
        errors++;
        resolve();
      });
      request.end(bodyFor(config, index));
    }, Math.max(0, scheduled - performance.now()));
  });
  await Promise.all(Array.from({ length: total }, (_, i) => one(i)));
  agent.destroy();
  const sorted = latencies.sort((a, b) => a - b);
  const elapsedSeconds = (performance.now() - start) / 1000;
  return {
    requests: latencies.length,
    throughput: latencies.length / elapsedSeconds,
    latencyMs: {
      p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99),
      mean: sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length), max: sorted[sorted.length - 1] ?? NaN,
    },
    non2xx: 0, errors, timeouts, wrongAnswers: check.wrong(), problems: check.problems,
  };
}

/** Saturation: autocannon, closed loop, a fixed number of requests over `connections`. */
export async function runOne(config: LoadConfig): Promise<LoadResult> {
  if (config.overallRate) return runFixedRate(config);
  const check = checker(config);
  let next = 0;
  let firstSent: number | null = null;
  let lastAnswered = 0;
  const result = await autocannon({
    url: config.url,
    connections: config.connections,
    duration: config.durationSeconds,
    timeout: config.timeoutSeconds,
    // autocannon ends a run at its next sample tick; 100 ms instead of 1 s keeps short runs short.
    sampleInt: 100,
    ...(config.amount ? { amount: config.amount } : {}),
    requests: [{
      method: 'POST',
      headers: { ...config.headers, 'content-type': 'application/json' },
      setupRequest: (request, context) => {
        firstSent ??= performance.now();
        const index = next++ % config.bodies.length;
        (context as { index?: number }).index = index;
        return { ...request, headers: headersFor(config, index), body: bodyFor(config, index) };
      },
      onResponse: (status, body, context) => {
        lastAnswered = performance.now();
        check.check(status, body, (context as { index?: number }).index ?? 0);
      },
    }],
  });
  // From the first request sent to the last answer: autocannon's own `duration` is whole seconds.
  const elapsedSeconds = Math.max(0.001, (lastAnswered - (firstSent ?? lastAnswered)) / 1000);
  return {
    requests: result.requests.total,
    throughput: result.requests.total / elapsedSeconds,
    latencyMs: {
      p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, mean: result.latency.mean, max: result.latency.max,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    wrongAnswers: check.wrong(),
    problems: check.problems,
  };
}

interface Job { id: number; configFile: string }

process.on('message', (job: Job) => {
  const config = JSON.parse(fs.readFileSync(job.configFile, 'utf8')) as LoadConfig | FanoutConfig | MixedConfig;
  const work: Promise<unknown> = 'kind' in config
    ? (config.kind === 'fanout' ? runFanout(config) : runMixed(config))
    : runOne(config);
  work.then(
    (result) => process.send!({ id: job.id, result }),
    (error: unknown) => process.send!({ id: job.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
