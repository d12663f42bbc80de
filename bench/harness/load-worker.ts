import fs from 'node:fs';
import autocannon from 'autocannon';
import { NORMALISERS, NormaliserName } from './normalisers';
import type { Json } from './validate';

/**
 * Runs one autocannon load in its own process, which the harness pins to core 0 so the load
 * generator never competes with the server (core 1). Checks every response against the expected
 * (normalised) answer and prints one JSON result on stdout.
 */
export interface LoadConfig {
  url: string;
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

async function main(): Promise<void> {
  const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as LoadConfig;
  const normalise = NORMALISERS[config.normaliser].actual;
  let next = 0;
  let wrongAnswers = 0;
  const problems: string[] = [];
  const result = await autocannon({
    url: config.url,
    connections: config.connections,
    duration: config.durationSeconds,
    timeout: config.timeoutSeconds,
    ...(config.overallRate ? { overallRate: config.overallRate } : {}),
    ...(config.amount ? { amount: config.amount } : {}),
    requests: [{
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      setupRequest: (request, context) => {
        const index = next++ % config.bodies.length;
        (context as { index?: number }).index = index;
        return { ...request, body: config.bodies[index] };
      },
      onResponse: (status, body, context) => {
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
  const out: LoadResult = {
    requests: result.requests.total,
    throughput: result.requests.total / (result.duration || config.durationSeconds),
    latencyMs: {
      p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, mean: result.latency.mean, max: result.latency.max,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    wrongAnswers,
    problems,
  };
  process.stdout.write(JSON.stringify(out));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
