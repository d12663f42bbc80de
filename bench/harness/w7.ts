import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { post } from './load';
import { REPO, systemNode } from './paths';
import { W2_NATIONAL_OVERVIEW } from './queries';
import type { RunningServer } from './server-process';
import { normaliseOverview, verdict } from './validate';
import { DeliveryWatch, municipalitiesStandingOn, W7Deliveries, w7DeliveriesMarkdown } from './w7-deliveries';
import { benchCallers } from './webhooks';

/**
 * W7 (issue 17, the bulk half of part 4): a vendor's bulk shutdown. The vendor with the most gateways
 * switches up to 300 of them off in one `reportStatuses` (its own VENDOR token, each report with its
 * own idempotency key), then on again in another. Measured per batch: the time from sending it until
 * every dependant's effective status is right, i.e. until ketenbeeld's national overview (read from
 * its stored picture) equals the floor's, which judges the reports themselves. Also the batch's own
 * round trip. Rounds alternate off and on. And the webhook half (w7-deliveries.ts): one endpoint per
 * affected municipality; per batch the time until every endpoint has every delivery, each delivery's
 * time from the change, and missing or wrong deliveries.
 */
export interface W7Report {
  vendor: string;
  gateways: number;
  rounds: { direction: 'off' | 'on'; batchMs: number; rightAfterMs: number; accepted: number; refused: number; agrees: boolean; problems: string[] }[];
  batchMs: { p50: number; p99: number };
  rightAfterMs: { p50: number; p99: number };
  /** The webhook half; null when not asked for (or in runs before it). */
  deliveries?: W7Deliveries | null;
  error: string | null;
}

const BATCH = `mutation Bulk($input: ReportStatusesInput!) { reportStatuses(input: $input) { accepted replayed refused results { outcome error { code message } } } }`;
/** Overviews compared before a batch counts as wrong (each is a full read of both pictures). */
const MAX_CHECKS = 20;

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The vendor operating the most gateways, and up to `count` of its gateways (seeded order). */
async function pickVendor(url: string, count: number): Promise<{ vendorId: string; vendor: string; gatewayIds: string[] }> {
  const client = new Client({ connectionString: url, application_name: 'bench-w7' });
  await client.connect();
  try {
    const { rows: [vendor] } = await client.query<{ id: string; name: string }>(
      `SELECT o.id, o.name FROM organisation o JOIN component c ON c.operator_id = o.id
        WHERE o.kind = 'VENDOR' AND c.kind = 'GATEWAY' AND c.retired_at IS NULL
        GROUP BY o.id, o.name ORDER BY count(*) DESC, o.id LIMIT 1`);
    if (!vendor) throw new Error('no vendor operates a gateway in this dataset');
    const { rows } = await client.query<{ id: string }>(
      `SELECT id FROM component WHERE operator_id = $1 AND kind = 'GATEWAY' AND retired_at IS NULL ORDER BY md5(id::text) LIMIT $2`, [vendor.id, count]);
    return { vendorId: vendor.id, vendor: vendor.name, gatewayIds: rows.map((r) => r.id) };
  } finally {
    await client.end();
  }
}

/** A VENDOR token of the organisation, issued with ketenbeeld's token CLI (`npm run build` first). */
function vendorToken(url: string, organisationId: string): Record<string, string> {
  const issued = spawnSync(systemNode(), [path.join(REPO, 'dist/src/cli/token.js'), 'create', '--org', organisationId, '--role', 'VENDOR', '--days', '1', '--label', 'bench w7'], {
    cwd: REPO, encoding: 'utf8', env: { ...process.env, DATABASE_URL: url }, timeout: 60_000,
  });
  const secret = issued.stdout.trim().split('\n').pop() ?? '';
  if (issued.status !== 0 || secret.length < 16) throw new Error(`could not issue a vendor token: ${issued.stderr.slice(-300)}`);
  return { authorization: `Bearer ${secret}` };
}

export async function measureBulkShutdown(
  ketenbeeld: RunningServer, floor: RunningServer, url: string,
  options: { gateways: number; rounds: number; readHeaders: Record<string, string>; webhooks?: boolean; deliveryTimeoutMs?: number; log?: (line: string) => void },
): Promise<W7Report> {
  const report: W7Report = {
    vendor: '', gateways: 0, rounds: [], batchMs: { p50: Number.NaN, p99: Number.NaN }, rightAfterMs: { p50: Number.NaN, p99: Number.NaN }, deliveries: null, error: null,
  };
  const log = options.log ?? (() => {});
  let watch: DeliveryWatch | null = null;
  try {
    const picked = await pickVendor(url, options.gateways);
    report.vendor = picked.vendor;
    report.gateways = picked.gatewayIds.length;
    const headers = vendorToken(url, picked.vendorId);
    if (options.webhooks ?? true) {
      const municipalities = await municipalitiesStandingOn(url, picked.gatewayIds);
      watch = new DeliveryWatch(ketenbeeld.url, url);
      report.deliveries = watch.report;
      await watch.start(municipalities, await benchCallers(url, Math.max(1, Math.ceil(municipalities.length / 50))));
      log(`W7: ${picked.gatewayIds.length} gateways of ${picked.vendor}; ${municipalities.length} webhook endpoints, one per affected municipality`);
    }
    const overview = JSON.stringify({ query: W2_NATIONAL_OVERVIEW, operationName: 'NationalOverview', variables: {} });
    const run = Date.now();
    for (let round = 0; round < options.rounds; round++) {
      const direction = round % 2 === 0 ? 'off' : 'on';
      const reports = picked.gatewayIds.map((id, i) => ({
        componentId: Buffer.from(`Component:${id}`).toString('base64url'),
        status: direction === 'off' ? 'MAJOR_OUTAGE' : 'OPERATIONAL',
        cause: direction === 'off' ? 'PRECAUTIONARY_SHUTDOWN' : null,
        source: 'bench:w7', idempotencyKey: `bench-w7-${run}-${round}-${i}`,
      }));
      const from = watch ? await watch.position() : 0;
      watch?.expectBatch(from);
      const sentAt = Date.now();
      const started = performance.now();
      const answer = await post(ketenbeeld.url, JSON.stringify({ query: BATCH, operationName: 'Bulk', variables: { input: { reports } } }), headers, 600_000);
      const batchMs = performance.now() - started;
      const payload = (answer.json as { data?: { reportStatuses?: { accepted: number; refused: number; results: { error: { message: string } | null }[] } } }).data?.reportStatuses;
      if (answer.status !== 200 || !payload) throw new Error(`reportStatuses: ${JSON.stringify(answer.json).slice(0, 300)}`);
      let agrees = false;
      let problems: string[] = [];
      let rightAfterMs = Number.NaN;
      for (let check = 0; check < MAX_CHECKS && !agrees; check++) {
        const [k, f] = [await post(ketenbeeld.url, overview, options.readHeaders, 300_000), await post(floor.url, overview, {}, 300_000)];
        const judged = verdict(f.json as never, k.json as never, normaliseOverview);
        agrees = judged.ok;
        problems = judged.problems;
        if (agrees) rightAfterMs = performance.now() - started;
      }
      report.rounds.push({ direction, batchMs, rightAfterMs, accepted: payload.accepted, refused: payload.refused, agrees, problems: problems.slice(0, 3) });
      const delivered = watch ? await watch.awaitBatch(direction, from, sentAt, options.deliveryTimeoutMs ?? 300_000) : null;
      log(`W7 batch ${round + 1} ${direction}: round trip ${Math.round(batchMs)} ms, right after ${Math.round(rightAfterMs)} ms`
        + (delivered ? `; ${delivered.received}/${delivered.expected} deliveries to ${delivered.endpointsAffected} endpoints, all after ${Math.round(delivered.allDeliveredMs)} ms, wrong ${delivered.wrong}` : '')
        + `; ketenbeeld's peak memory ${ketenbeeld.peakMemoryMiB() ?? '–'} MiB`);
    }
    const right = report.rounds.filter((r) => r.agrees).map((r) => r.rightAfterMs);
    report.batchMs = { p50: percentile(report.rounds.map((r) => r.batchMs), 50), p99: percentile(report.rounds.map((r) => r.batchMs), 99) };
    report.rightAfterMs = { p50: percentile(right, 50), p99: percentile(right, 99) };
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error);
  } finally {
    await watch?.stop();
  }
  return report;
}

export function w7Markdown(report: W7Report, scale: number): string {
  const ms = (value: number) => (Number.isNaN(value) ? '–' : `${Math.round(value)} ms`);
  const lines = [
    `## W7: a vendor's bulk shutdown (scale ${scale})`,
    '',
    `${report.vendor}: ${report.gateways} gateways per \`reportStatuses\`, ${report.rounds.length} batches alternating off/on.`,
    `Right = ketenbeeld's national overview equals the floor's (which judges the reports themselves).`,
    '',
    '| | p50 | p99 |',
    '|---|---|---|',
    `| batch round trip | ${ms(report.batchMs.p50)} | ${ms(report.batchMs.p99)} |`,
    `| sent → every dependant right | ${ms(report.rightAfterMs.p50)} | ${ms(report.rightAfterMs.p99)} |`,
    '',
    `Batches whose dependants came right (within ${MAX_CHECKS} comparisons): ${report.rounds.filter((r) => r.agrees).length} of ${report.rounds.length}; refused reports: ${report.rounds.reduce((n, r) => n + r.refused, 0)}.`,
  ];
  if (report.error) lines.push('', `Stopped: ${report.error}`);
  for (const round of report.rounds.filter((r) => !r.agrees)) lines.push(`- ${round.direction}: ${round.problems.join('; ')}`);
  if (report.deliveries) lines.push('', w7DeliveriesMarkdown(report.deliveries));
  return lines.join('\n');
}
