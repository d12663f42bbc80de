import http from 'node:http';
import { W4_REPORT_STATUS } from './queries';

/**
 * W4 mixed, in the load-generator process: reportStatus at saturation over `connections` keep-alive
 * connections (closed loop: each sends its next report when the last is answered), where one report in
 * `dependantEvery` lands on a component others depend on (`dependantIds`, round-robin, the hub first;
 * each alternates MAJOR_OUTAGE (PRECAUTIONARY_SHUTDOWN) and OPERATIONAL) and every other one is an
 * OPERATIONAL heartbeat on a gateway nothing depends on (`quietIds`, round-robin). Every report carries
 * a new idempotency key and must be stored as new and current, without errors.
 *
 * Reported: reports per second (all, from the first sent to the last answered); the latency of each
 * hub report; and the latency of the quiet reports that were in flight while a hub report was (their
 * interval overlaps the hub report's): what the rest of the country waits while a hub's change is kept.
 */
export interface MixedConfig {
  kind: 'mixed';
  url: string;
  headers: Record<string, string>;
  connections: number;
  durationSeconds: number;
  timeoutSeconds: number;
  quietIds: string[];
  /** Components with dependants, the hub first. */
  dependantIds: string[];
  hubId: string;
  /** One report in this many lands on a component with dependants (100: 1%). */
  dependantEvery: number;
  /** Per dependant component, the status it was last reported (so alternation carries over runs). */
  lastStatus: Record<string, string>;
}

export interface MixedLatencies { count: number; p50: number; p99: number; max: number }

export interface MixedResult {
  reports: number;
  seconds: number;
  throughput: number;
  /**
   * Reports answered within the timed window, per second of it. `throughput` also counts the reports
   * still in flight when the window closed and divides by the time until the last was answered, so a
   * hub report that runs on alone after the window lowers it.
   */
  windowThroughput: number;
  quiet: MixedLatencies;
  /** Quiet reports whose interval overlapped a hub report's. */
  quietDuringHub: MixedLatencies;
  hub: MixedLatencies & { reports: { status: string; ms: number }[] };
  otherDependants: MixedLatencies;
  failed: number;
  problems: string[];
  lastStatus: Record<string, string>;
}

interface Done { kind: 'quiet' | 'hub' | 'dependant'; status: string; start: number; end: number; ok: boolean }

function latencies(values: number[]): MixedLatencies {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]);
  return { count: sorted.length, p50: at(50), p99: at(99), max: sorted.length ? sorted[sorted.length - 1] : NaN };
}

export async function runMixed(config: MixedConfig): Promise<MixedResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: config.connections });
  const url = new URL(config.url);
  const lastStatus = { ...config.lastStatus };
  const stamp = `${process.pid}-${Date.now()}`;
  const done: Done[] = [];
  const problems: string[] = [];
  let next = 0;
  let dependantNext = 0;
  const started = performance.now();
  const until = started + config.durationSeconds * 1000;

  const send = (componentId: string, status: string, key: string): Promise<{ ok: boolean; text: string }> => new Promise((resolve) => {
    const input = { componentId, status, cause: status === 'OPERATIONAL' ? null : 'PRECAUTIONARY_SHUTDOWN', source: 'bench:w4-mixed', idempotencyKey: key };
    const request = http.request({
      agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: { ...config.headers, 'content-type': 'application/json' }, timeout: config.timeoutSeconds * 1000,
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let ok = response.statusCode === 200;
        try {
          const json = JSON.parse(text) as { errors?: unknown[]; data?: { reportStatus?: { replayed: boolean; current: boolean } } };
          ok = ok && !json.errors?.length && json.data?.reportStatus?.replayed === false && json.data.reportStatus.current === true;
        } catch {
          ok = false;
        }
        resolve({ ok, text });
      });
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (error) => resolve({ ok: false, text: error.message }));
    request.end(JSON.stringify({ query: W4_REPORT_STATUS, operationName: 'Report', variables: { input } }));
  });

  const loop = async () => {
    while (performance.now() < until) {
      const n = next++;
      let componentId: string;
      let status = 'OPERATIONAL';
      let kind: Done['kind'] = 'quiet';
      if (n % config.dependantEvery === config.dependantEvery >> 1 && config.dependantIds.length > 0) {
        componentId = config.dependantIds[dependantNext++ % config.dependantIds.length];
        status = lastStatus[componentId] === 'MAJOR_OUTAGE' ? 'OPERATIONAL' : 'MAJOR_OUTAGE';
        lastStatus[componentId] = status;
        kind = componentId === config.hubId ? 'hub' : 'dependant';
      } else {
        componentId = config.quietIds[n % config.quietIds.length];
      }
      const start = performance.now();
      const answer = await send(componentId, status, `bench-mixed-${stamp}-${n}`);
      done.push({ kind, status, start, end: performance.now(), ok: answer.ok });
      if (!answer.ok && problems.length < 3) problems.push(`${kind} ${status}: ${answer.text.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: config.connections }, () => loop()));
  agent.destroy();

  const seconds = (Math.max(...done.map((d) => d.end)) - started) / 1000;
  const hubs = done.filter((d) => d.kind === 'hub');
  const quiet = done.filter((d) => d.kind === 'quiet');
  const overlapsHub = (d: Done) => hubs.some((h) => d.start < h.end && d.end > h.start);
  return {
    reports: done.length, seconds, throughput: done.length / seconds,
    windowThroughput: done.filter((d) => d.end <= until).length / config.durationSeconds,
    quiet: latencies(quiet.map((d) => d.end - d.start)),
    quietDuringHub: latencies(quiet.filter(overlapsHub).map((d) => d.end - d.start)),
    hub: { ...latencies(hubs.map((d) => d.end - d.start)), reports: hubs.map((d) => ({ status: d.status, ms: d.end - d.start })) },
    otherDependants: latencies(done.filter((d) => d.kind === 'dependant').map((d) => d.end - d.start)),
    failed: done.filter((d) => !d.ok).length, problems, lastStatus,
  };
}
