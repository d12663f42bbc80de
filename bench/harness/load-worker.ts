import fs from 'node:fs';
import autocannon from 'autocannon';
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
  /** Requests per second over all connections; absent for a saturation run. */
  overallRate?: number;
  timeoutSeconds: number;
  /** Request bodies, sent round-robin. */
  bodies: string[];
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

export async function runOne(config: LoadConfig): Promise<LoadResult> {
  const normalise = NORMALISERS[config.normaliser].actual;
  let next = 0;
  let wrongAnswers = 0;
  const problems: string[] = [];
  let firstSent: number | null = null;
  let lastAnswered = 0;
  const result = await autocannon({
    url: config.url,
    connections: config.connections,
    duration: config.durationSeconds,
    timeout: config.timeoutSeconds,
    // autocannon ends a run at its next sample tick; 100 ms instead of 1 s keeps short runs short.
    sampleInt: 100,
    ...(config.overallRate ? { overallRate: config.overallRate } : {}),
    ...(config.amount ? { amount: config.amount } : {}),
    requests: [{
      method: 'POST',
      headers: { ...config.headers, 'content-type': 'application/json' },
      setupRequest: (request, context) => {
        firstSent ??= performance.now();
        const index = next++ % config.bodies.length;
        (context as { index?: number }).index = index;
        return { ...request, body: config.bodies[index] };
      },
      onResponse: (status, body, context) => {
        lastAnswered = performance.now();
        const index = (context as { index?: number }).index ?? 0;
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
    }],
  });
  // From the first request sent to the last answer: autocannon's own `duration` is whole seconds.
  const elapsedSeconds = Math.max(0.001, (lastAnswered - (firstSent ?? lastAnswered)) / 1000);
  const out: LoadResult = {
    requests: result.requests.total,
    throughput: result.requests.total / elapsedSeconds,
    latencyMs: {
      p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, mean: result.latency.mean, max: result.latency.max,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    wrongAnswers,
    problems,
  };
  return out;
}

interface Job { id: number; configFile: string }

process.on('message', (job: Job) => {
  const config = JSON.parse(fs.readFileSync(job.configFile, 'utf8')) as LoadConfig;
  runOne(config).then(
    (result) => process.send!({ id: job.id, result }),
    (error: unknown) => process.send!({ id: job.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
