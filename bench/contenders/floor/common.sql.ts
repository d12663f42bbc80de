/**
 * SQL fragments shared by the floor's statements. Severity as a number (the status engine's order):
 * OPERATIONAL 0 < UNKNOWN 1 < DEGRADED_PERFORMANCE 2 < UNDER_MAINTENANCE 3 < PARTIAL_OUTAGE 4 < MAJOR_OUTAGE 5.
 * A level of 2 or more is an outage: only outages impose anything on dependants.
 */
export function levelOf(status: string): string {
  return `(CASE ${status} WHEN 'OPERATIONAL' THEN 0 WHEN 'DEGRADED_PERFORMANCE' THEN 2 WHEN 'UNDER_MAINTENANCE' THEN 3
    WHEN 'PARTIAL_OUTAGE' THEN 4 WHEN 'MAJOR_OUTAGE' THEN 5 ELSE 1 END)`;
}

export function statusOf(level: string): string {
  return `((ARRAY['OPERATIONAL','UNKNOWN','DEGRADED_PERFORMANCE','UNDER_MAINTENANCE','PARTIAL_OUTAGE','MAJOR_OUTAGE'])[${level} + 1])`;
}

/** The Relay global id ketenbeeld exposes: base64url of `Type:uuid`, without padding. */
export function globalId(type: string, id: string): string {
  return `translate(rtrim(encode(convert_to('${type}:' || ${id}::text, 'UTF8'), 'base64'), '='), '+/', '-_')`;
}

export function isoUtc(timestamp: string): string {
  return `to_char(${timestamp} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/**
 * The CTEs that carry outages up the graph, shared by W2 and W3. They need a CTE `own(id, level)`
 * (each component's own level) before them and define `imposed(id, level)` (the worst level each
 * component's dependencies impose): redundancy groups that are entirely out, then a walk up the
 * dependants from every outage.
 */
export const OUTAGE_PROPAGATION_CTES = `grp AS (
  SELECT d.component_id AS c, d.redundancy_group AS g, bool_or(d.kind = 'REQUIRED') AS required,
         bool_and(coalesce(o.level, 1) >= 2) AS all_out, min(o.level) AS best
  FROM dependency d LEFT JOIN own o ON o.id = d.depends_on_id
  WHERE d.removed_at IS NULL AND d.redundancy_group IS NOT NULL
  GROUP BY d.component_id, d.redundancy_group
),
source(id, level) AS (
  SELECT id, level FROM own WHERE level >= 2
  UNION
  SELECT c, CASE WHEN required THEN best ELSE 2 END FROM grp WHERE all_out
),
up(id, level) AS (
  SELECT id, level FROM source
  UNION
  SELECT d.component_id, CASE WHEN d.kind = 'REQUIRED' THEN u.level ELSE 2 END
  FROM up u CROSS JOIN LATERAL (
    -- OFFSET 0 keeps this a per-row index probe: the planner, misjudging the recursion's size, would
    -- otherwise merge-join the whole dependency index on every step.
    SELECT component_id, kind FROM dependency
    WHERE depends_on_id = u.id AND removed_at IS NULL AND redundancy_group IS NULL OFFSET 0
  ) d
),
imposed AS (
  SELECT id, max(level) AS level FROM up GROUP BY id
),
`;

/**
 * W2's answer, built from three CTEs the statement defines before it: `by_status(level, n)`,
 * `by_product(product_vendor, product, version, level, n)` and `residents(n)`.
 */
export const NATIONAL_OVERVIEW_JSON = `SELECT json_build_object('data', json_build_object('nationalOverview', json_build_object(
  'componentsByStatus', (SELECT json_agg(json_build_object('status', ${statusOf('level')}, 'count', n) ORDER BY level DESC) FROM by_status),
  'gatewaysByProduct', coalesce((SELECT json_agg(json_build_object('vendor', product_vendor, 'product', product, 'version', version,
      'status', ${statusOf('level')}, 'count', n) ORDER BY product_vendor, product, version, level) FROM by_product), '[]'::json),
  'residentsAffected', (SELECT n FROM residents)
)))::text AS body`;
