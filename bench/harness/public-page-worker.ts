import fs from 'node:fs';
import autocannon from 'autocannon';

/**
 * W6's load generator, a process of its own that the harness pins to the load core: GETs of the
 * public status pages, round-robin over the municipalities, with or without If-None-Match, each
 * answer checked (200 with the page, or 304 with nothing). Prints its result as JSON.
 */
export interface PageLoadConfig {
  origin: string;
  /** `/status/GM0553` and, for conditional requests, the ETag the reader holds. */
  requests: { path: string; ifNoneMatch: string | null }[];
  /** The status every answer must have (200 uncached, 304 conditional). */
  expectStatus: 200 | 304;
  connections: number;
  amount: number;
  timeoutSeconds: number;
}

export interface PageLoadResult {
  requests: number;
  throughput: number;
  latencyMs: { p50: number; p99: number };
  wrong: number;
  problems: string[];
}

async function run(config: PageLoadConfig): Promise<PageLoadResult> {
  let next = 0;
  let first: number | null = null;
  let last = 0;
  let wrong = 0;
  const problems: string[] = [];
  const result = await autocannon({
    url: config.origin,
    connections: config.connections,
    amount: config.amount,
    timeout: config.timeoutSeconds,
    sampleInt: 100,
    requests: [{
      method: 'GET',
      setupRequest: (request) => {
        first ??= performance.now();
        const r = config.requests[next++ % config.requests.length];
        return { ...request, path: r.path, headers: r.ifNoneMatch ? { 'if-none-match': r.ifNoneMatch } : {} };
      },
      onResponse: (status, body) => {
        last = performance.now();
        const ok = status === config.expectStatus && (status === 304 ? body.length === 0 : body.includes('id="live-region"'));
        if (!ok) {
          wrong++;
          if (problems.length < 3) problems.push(`HTTP ${status}: ${body.slice(0, 200)}`);
        }
      },
    }],
  });
  const seconds = Math.max(0.001, (last - (first ?? last)) / 1000);
  return {
    requests: result.requests.total,
    throughput: result.requests.total / seconds,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
    // autocannon counts a 304 as non-2xx; the check above is what counts.
    wrong: wrong + result.errors + result.timeouts,
    problems,
  };
}

if (require.main === module) {
  const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as PageLoadConfig;
  run(config).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
