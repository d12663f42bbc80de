import { median, post, runMixedLoad } from './load';
import type { MixedResult } from './mixed';
import { pickComponents } from './dependants';
import { pinBackends, vacuumDataset } from './postgres';
import { IMPACT_OF_STATUS, W2_NATIONAL_OVERVIEW, W4_REPORT_STATUS } from './queries';
import type { RunningServer } from './server-process';
import { normaliseImpact, normaliseOverview, verdict } from './validate';

/**
 * W4 mixed (mixed.ts does the load): reportStatus at saturation, 1% on components others depend on
 * (W3's hub first, then `others` with at least three direct dependants), the rest heartbeats on
 * gateways nothing depends on; `rounds` timed runs. After the last run, before anything is put back,
 * ketenbeeld's national overview and its what-if of the hub's current status are compared with the
 * floor's, which judges the reports: every dependant must be right after the mixed reports. Then every
 * component left down is reported OPERATIONAL again (the steps after this one start from that).
 */
export interface MixedReport {
  connections: number;
  secondsPerRun: number;
  dependantEvery: number;
  components: { name: string; kind: string; dependants: number; hub: boolean }[];
  runs: MixedResult[];
  throughput: number | null;
  /** Median over runs of the p99 of quiet reports in flight during a hub report. */
  quietDuringHubP99: number | null;
  quietP99: number | null;
  /** Every hub report's latency, over all runs. */
  hubMs: number[];
  agreesAfter: { overview: boolean; impact: boolean; problems: string[] } | null;
  error: string | null;
}

const body = (query: string, operationName: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query, operationName, variables });
const globalId = (uuid: string) => Buffer.from(`Component:${uuid}`).toString('base64url');

export async function measureMixed(
  ketenbeeld: RunningServer, floor: RunningServer | undefined, o: {
    url: string; database: string; headers: Record<string, string>; hubGatewayId: string; quietGatewayIds: string[]; others: number;
    rounds: number; seconds: number; serverCore: number; loadCore: number; log: (line: string) => void;
  },
): Promise<MixedReport> {
  const report: MixedReport = {
    connections: 8, secondsPerRun: Math.max(4, o.seconds * 2), dependantEvery: 100, components: [], runs: [],
    throughput: null, quietDuringHubP99: null, quietP99: null, hubMs: [], agreesAfter: null, error: null,
  };
  try {
    const hubId = Buffer.from(o.hubGatewayId, 'base64url').toString('utf8').replace(/^Component:/, '');
    const picked = await pickComponents(o.url, hubId, o.others);
    report.components = picked.map((c) => ({ name: c.name, kind: c.kind, dependants: c.dependants, hub: c.id === hubId }));
    const dependantIds = picked.map((c) => globalId(c.id));
    let lastStatus: Record<string, string> = {};
    for (let round = 0; round < o.rounds; round++) {
      // A hub report rewrites the stored picture of all its dependants; autovacuum (off here) would clean those dead rows between runs.
      const vacuumSeconds = await vacuumDataset(o.database);
      o.log(`W4 mixed round ${round + 1}/${o.rounds}: VACUUM (ANALYZE) first, ${vacuumSeconds.toFixed(1)} s`);
      await pinBackends(o.database, o.serverCore);
      const result = await runMixedLoad({
        kind: 'mixed', url: ketenbeeld.url, headers: o.headers, connections: report.connections, durationSeconds: report.secondsPerRun,
        timeoutSeconds: 120, quietIds: o.quietGatewayIds, dependantIds, hubId: o.hubGatewayId, dependantEvery: report.dependantEvery, lastStatus,
      }, o.loadCore);
      lastStatus = result.lastStatus;
      report.runs.push(result);
      o.log(`W4 mixed round ${round + 1}/${o.rounds}: ${result.throughput.toFixed(1)} reports/s (${result.windowThroughput.toFixed(1)} in the window, ${(result.seconds - report.secondsPerRun).toFixed(1)} s after it), hub ${result.hub.reports.map((h) => `${h.status} ${h.ms.toFixed(0)} ms`).join(', ') || 'none'}, `
        + `others during hub p99 ${result.quietDuringHub.p99.toFixed(0)} ms (${result.quietDuringHub.count}), ${result.failed} failed`);
    }
    report.throughput = median(report.runs.map((r) => r.throughput));
    report.quietDuringHubP99 = median(report.runs.map((r) => r.quietDuringHub.p99));
    report.quietP99 = median(report.runs.map((r) => r.quiet.p99));
    report.hubMs = report.runs.flatMap((r) => r.hub.reports.map((h) => h.ms));

    const hubStatus = lastStatus[o.hubGatewayId] ?? 'OPERATIONAL';
    if (floor) {
      const overview = body(W2_NATIONAL_OVERVIEW, 'NationalOverview');
      const impact = body(IMPACT_OF_STATUS, 'Impact', { id: o.hubGatewayId, status: hubStatus });
      const o1 = verdict((await post(floor.url, overview, {}, 300_000)).json as never, (await post(ketenbeeld.url, overview, o.headers, 300_000)).json as never, normaliseOverview);
      const i1 = verdict((await post(floor.url, impact, {}, 300_000)).json as never, (await post(ketenbeeld.url, impact, o.headers, 300_000)).json as never, normaliseImpact);
      report.agreesAfter = { overview: o1.ok, impact: i1.ok, problems: [...o1.problems, ...i1.problems].slice(0, 5) };
    }
    // Put back what is down, one at a time.
    let key = 0;
    for (const [id, status] of Object.entries(lastStatus)) {
      if (status === 'OPERATIONAL') continue;
      const input = { componentId: id, status: 'OPERATIONAL', source: 'bench:w4-mixed', idempotencyKey: `bench-mixed-restore-${Date.now()}-${key++}` };
      await post(ketenbeeld.url, body(W4_REPORT_STATUS, 'Report', { input }), o.headers, 300_000);
    }
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error);
  }
  return report;
}

function ms(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : `${value.toFixed(0)} ms`;
}

export function mixedMarkdown(m: MixedReport | null): string {
  if (!m) return '';
  const lines = ['', '## W4 mixed: reports at saturation, 1% on components others depend on', ''];
  lines.push(`${m.connections} connections, closed loop, ${m.runs.length} runs of ${m.secondsPerRun} s (load generator on its own core). One report in ${m.dependantEvery} lands on a component with dependants, round-robin over ${m.components.map((c) => `${c.name} (${c.kind}, ${c.dependants} direct dependants${c.hub ? ', W3\'s hub' : ''})`).join('; ')}; each alternates MAJOR_OUTAGE (PRECAUTIONARY_SHUTDOWN) and OPERATIONAL. Every other report is an OPERATIONAL heartbeat on a gateway nothing depends on. Every report must be stored as new and current. "During a hub report": heartbeats whose time in flight overlapped a hub report's.`);
  if (m.error) lines.push('', `Stopped: ${m.error}`);
  lines.push('', '| run | reports/s | reports/s in the window (time after it) | heartbeats p50 / p99 | heartbeats during a hub report: count, p50 / p99 | hub reports | other dependants p50 / max | failed |', '|---|---|---|---|---|---|---|---|');
  m.runs.forEach((r, i) => lines.push(`| ${i + 1} | ${r.throughput.toFixed(1)} | ${r.windowThroughput === undefined ? '–' : `${r.windowThroughput.toFixed(1)} (${(r.seconds - m.secondsPerRun).toFixed(1)} s)`} | ${ms(r.quiet.p50)} / ${ms(r.quiet.p99)} | ${r.quietDuringHub.count}, ${ms(r.quietDuringHub.p50)} / ${ms(r.quietDuringHub.p99)} | ${r.hub.reports.map((h) => `${h.status} ${ms(h.ms)}`).join(', ') || '–'} | ${ms(r.otherDependants.p50)} / ${ms(r.otherDependants.max)} | ${r.failed} |`));
  if (m.agreesAfter) {
    lines.push('', `After the last run, before anything was put back: national overview ${m.agreesAfter.overview ? 'agrees' : '**differs**'}, what-if of the hub's current status ${m.agreesAfter.impact ? 'agrees' : '**differs**'} with the floor's${m.agreesAfter.problems.length ? ` (${m.agreesAfter.problems.join('; ')})` : ''}.`);
  }
  for (const problem of m.runs.flatMap((r) => r.problems).slice(0, 3)) lines.push('', `- failed: \`${problem.replace(/`/g, "'")}\``);
  return `${lines.join('\n')}\n`;
}
