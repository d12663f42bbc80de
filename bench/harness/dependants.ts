import { Client } from 'pg';
import { post } from './load';
import { IMPACT_OF_STATUS, W2_NATIONAL_OVERVIEW } from './queries';
import type { RunningServer } from './server-process';
import { normaliseImpact, normaliseOverview, verdict } from './validate';

/**
 * W4's target asks for the effective status of every dependant to be right after each report; W4's
 * throughput runs report on gateways nothing depends on. This step reports on components that others
 * depend on, W3's hub among them, one report at a time (down, then up again), and after each one
 * compares ketenbeeld with the floor, which judges the reports themselves:
 * - the national overview: ketenbeeld answers it from its stored picture, which the report itself
 *   kept current, so a wrong stored status of any dependant shows in the counts;
 * - the what-if of the component's new status, which is then no longer hypothetical: the status of
 *   every service × municipality above it.
 * Also the time each report took, from sending the mutation to its answer, and the least time
 * PostgreSQL itself needs to store such an outcome in a picture kept per component (storingFloorMs).
 */
export interface DependantsCheck {
  reports: {
    component: string;
    kind: string;
    /** Components that depend on it directly (dependencies in force). */
    directDependants: number;
    status: string;
    mutationMs: number;
    /** PostgreSQL's own time to store the outcome (storingFloorMs), measured right before the report; null when it failed. */
    storingFloorMs: number | null;
    /** Rows the floor wrote (the component and everything above it) and the change events it stored. */
    storingFloorRows: number | null;
    storingFloorEvents: number | null;
    /** Service × municipality pairs the floor's what-if lists as not OPERATIONAL. */
    affected: number;
    overviewAgrees: boolean;
    impactAgrees: boolean;
    problems: string[];
  }[];
  error: string | null;
}

const REPORT = `mutation Report($input: ReportStatusInput!) { reportStatus(input: $input) { replayed current effectiveStatus { status } } }`;

function body(query: string, operationName: string, variables: Record<string, unknown> = {}): string {
  return JSON.stringify({ query, operationName, variables });
}

/** The hub and `others` components with dependants (seeded order), each OPERATIONAL in its own newest report. */
export async function pickComponents(url: string, hubId: string, others: number): Promise<{ id: string; name: string; kind: string; dependants: number }[]> {
  const client = new Client({ connectionString: url, application_name: 'bench-harness' });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; name: string; kind: string; dependants: string }>(
      `WITH direct AS (
         SELECT depends_on_id AS id, count(*) AS dependants FROM dependency WHERE removed_at IS NULL GROUP BY depends_on_id HAVING count(*) >= 3)
       SELECT c.id, c.name, c.kind, d.dependants FROM direct d JOIN component c ON c.id = d.id
        WHERE c.kind <> 'SERVICE'
          AND (SELECT s.status FROM status_report s WHERE s.component_id = c.id ORDER BY s.observed_at DESC, s.seq DESC LIMIT 1) = 'OPERATIONAL'
        ORDER BY c.id = $1 DESC, md5(c.id::text) LIMIT $2`,
      [hubId, others + 1]);
    return rows.map((r) => ({ id: r.id, name: r.name, kind: r.kind, dependants: Number(r.dependants) }));
  } finally {
    await client.end();
  }
}

/**
 * The floor under a report that changes what depends on it, for any server that keeps a stored
 * picture per component (as the issue asks: reads of *now* are lookups): in one transaction, every
 * row at and above the component (live dependencies, transitively) gets a new status, cause, root
 * cause, since and outage flag in one UPDATE, and each whose status that changes gets a change event,
 * with the municipalities a service is delivered to, in one INSERT. No judging, nothing read back into a program, no
 * contributions or dependants rewritten: only what storing the outcome costs PostgreSQL. Rolled back,
 * so the report that follows finds the picture as it was. Returns the time from BEGIN to ROLLBACK, the rows and the events.
 */
export async function storingFloorMs(url: string, componentId: string, status: string): Promise<{ ms: number; rows: number; events: number }> {
  const client = new Client({ connectionString: url, application_name: 'bench-storing-floor' });
  await client.connect();
  try {
    const started = performance.now();
    await client.query('BEGIN');
    const [write] = (await client.query<{ id: string }>(`INSERT INTO change_write (event_count) VALUES (1) RETURNING id`)).rows;
    const { rows } = await client.query<{ rows: number; events: number }>(
      `WITH RECURSIVE above(id) AS (
         SELECT $1::uuid
         UNION
         SELECT d.component_id FROM dependency d JOIN above a ON d.depends_on_id = a.id WHERE d.removed_at IS NULL
       ),
       changed AS (
         UPDATE live_status l
            SET revision = l.revision + 1, status = $2, cause = CASE WHEN $2 = 'OPERATIONAL' THEN NULL ELSE 'DEPENDENCY' END,
                root_cause = CASE WHEN $2 = 'OPERATIONAL' THEN '{}' ELSE ARRAY[l.component_id, $1::uuid] END,
                since = now(), last_fact_at = now(), outage = $2 <> 'OPERATIONAL'
           FROM above a JOIN live_status before ON before.component_id = a.id
          WHERE l.component_id = a.id
         RETURNING l.component_id, l.status, before.status AS previous_status, l.cause, l.root_cause
       ),
       events AS (
         INSERT INTO change_event (write_id, n, kind, component_id, municipality_ids, status, previous_status, cause, root_cause, since, stale)
         SELECT $3, row_number() OVER (), 'STATUS', c.component_id,
                coalesce((SELECT array_agg(sd.municipality_id) FROM service_delivery sd WHERE sd.service_id = c.component_id AND sd.delivered_until IS NULL), '{}'),
                c.status, c.previous_status, c.cause, c.root_cause, now(), false
           FROM changed c
          WHERE c.status <> c.previous_status
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM changed)::int AS rows, (SELECT count(*) FROM events)::int AS events`,
      [componentId, status, write.id],
    );
    await client.query('ROLLBACK');
    return { ms: performance.now() - started, rows: rows[0].rows, events: rows[0].events };
  } finally {
    await client.end();
  }
}

export async function checkReportsWithDependants(
  ketenbeeld: RunningServer, floor: RunningServer, url: string, hubGlobalId: string, headers: Record<string, string>, others: number,
): Promise<DependantsCheck> {
  const check: DependantsCheck = { reports: [], error: null };
  try {
    const hubId = Buffer.from(hubGlobalId, 'base64url').toString('utf8').replace(/^Component:/, '');
    const components = await pickComponents(url, hubId, others);
    let key = 0;
    for (const component of components) {
      const id = Buffer.from(`Component:${component.id}`).toString('base64url');
      for (const status of ['MAJOR_OUTAGE', 'OPERATIONAL']) {
        const input = { componentId: id, status, cause: status === 'OPERATIONAL' ? null : 'PRECAUTIONARY_SHUTDOWN', source: 'bench:w4-dependants', idempotencyKey: `bench-dependants-${Date.now()}-${key++}` };
        const problems: string[] = [];
        // The floor first, on the picture as it is before the report (rolled back, so the report finds it unchanged).
        const floorRun = await storingFloorMs(url, component.id, status).catch((error: unknown) => {
          problems.push(`storing floor: ${error instanceof Error ? error.message : String(error)}`);
          return null;
        });
        const reported = await post(ketenbeeld.url, body(REPORT, 'Report', { input }), headers, 300_000);
        const payload = (reported.json as { data?: { reportStatus?: { replayed: boolean; current: boolean } } }).data?.reportStatus;
        // Stored as new and as the component's current report. (Its effective status may be worse than
        // the status reported, through something it depends on: the comparisons below judge that.)
        if (reported.status !== 200 || !payload || payload.replayed || !payload.current) {
          problems.push(`reportStatus: ${JSON.stringify(reported.json).slice(0, 300)}`);
        }
        const overview = body(W2_NATIONAL_OVERVIEW, 'NationalOverview');
        const [kOverview, fOverview] = [await post(ketenbeeld.url, overview, headers, 300_000), await post(floor.url, overview, {}, 300_000)];
        const overviewVerdict = verdict(fOverview.json as never, kOverview.json as never, normaliseOverview);
        const impact = body(IMPACT_OF_STATUS, 'Impact', { id, status });
        const [kImpact, fImpact] = [await post(ketenbeeld.url, impact, headers, 300_000), await post(floor.url, impact, {}, 300_000)];
        const impactVerdict = verdict(fImpact.json as never, kImpact.json as never, normaliseImpact);
        problems.push(...overviewVerdict.problems.map((p) => `overview: ${p}`), ...impactVerdict.problems.map((p) => `impact: ${p}`));
        const affected = (fImpact.json as { data?: { impact?: { affected?: unknown[] } } }).data?.impact?.affected?.length ?? 0;
        check.reports.push({
          component: component.name, kind: component.kind, directDependants: component.dependants, status, mutationMs: reported.ms,
          storingFloorMs: floorRun?.ms ?? null, storingFloorRows: floorRun?.rows ?? null, storingFloorEvents: floorRun?.events ?? null, affected,
          overviewAgrees: overviewVerdict.ok, impactAgrees: impactVerdict.ok, problems,
        });
      }
    }
  } catch (error) {
    check.error = error instanceof Error ? error.message : String(error);
  }
  return check;
}
