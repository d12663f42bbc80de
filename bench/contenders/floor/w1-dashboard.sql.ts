import { globalId, isoUtc, levelOf, statusOf } from './common.sql';

/**
 * W1, the municipal dashboard, as one statement: $1 the CBS code, $2 asOf. Returns the whole GraphQL
 * response body as JSON text, the same shape ketenbeeld returns for
 * `municipality(cbsCode) { services { service { id name } status cause since rootCause { id name } } }`.
 *
 * How it works, since a recursive CTE cannot aggregate:
 * - An effective status is the worst of what reaches a component: its own status, and the outage of
 *   anything below it through non-grouped edges (unchanged when every edge on some path is REQUIRED,
 *   capped at DEGRADED_PERFORMANCE otherwise), and each redundancy group below it that is entirely out
 *   (its best member's status, capped likewise). Now, that is found by walking up from the few
 *   outages (`up`); over time, per (service, reachable component) pair (`reach`, once per pair, with
 *   whether an all-REQUIRED path exists).
 * - `since` is when the current effective status began: every report in the closure is an event that
 *   changes one contribution; running counts of contributions per severity level (window sums) give
 *   the effective status after each moment, and the newest moment at which it changed is `since`.
 * - The root cause path follows, from the service down, the edge the status engine would pick: the
 *   first (non-grouped edges by dependency id, then groups by their first member) that imposes the
 *   component's effective status, unless the component's own report explains it.
 *
 * Assumption, checked by the harness before it trusts the floor: members of a redundancy group depend on
 * nothing themselves (in the generated data they are gateway pairs), so a group's status is a function
 * of its members' own reports.
 */
export const W1_DASHBOARD_SQL = `
WITH RECURSIVE
muni AS (
  SELECT id FROM organisation WHERE cbs_code = $1 AND kind = 'MUNICIPALITY'
),
svc AS (
  SELECT sd.service_id AS id FROM service_delivery sd JOIN muni ON muni.id = sd.municipality_id
),
closure(id) AS (
  SELECT id FROM svc
  UNION
  SELECT d.depends_on_id FROM closure c JOIN dependency d ON d.component_id = c.id AND d.removed_at IS NULL
),
-- As an array, so the planner probes the indexes instead of hashing whole tables (its row estimates
-- for a recursive CTE are far too high).
closure_ids AS (
  SELECT array_agg(id) AS ids FROM closure
),
edges AS MATERIALIZED (
  SELECT d.component_id, d.depends_on_id, d.kind, d.redundancy_group
  FROM dependency d
  WHERE d.component_id = ANY ((SELECT ids FROM closure_ids)::uuid[]) AND d.removed_at IS NULL
),
reach(x, y, full_path) AS (
  SELECT id, id, true FROM svc
  UNION
  SELECT r.x, e.depends_on_id, r.full_path AND e.kind = 'REQUIRED'
  FROM reach r JOIN edges e ON e.component_id = r.y AND e.redundancy_group IS NULL
),
reach_best AS MATERIALIZED (
  SELECT x, y, bool_or(full_path) AS full_path FROM reach GROUP BY x, y
),
-- Reports known at asOf; of two observed at the same moment the later arrival (seq) counts.
rep AS MATERIALIZED (
  SELECT id, at, level, cause, lag(level, 1, 1) OVER w AS before, lead(at) OVER w AS until
  FROM (
    SELECT DISTINCT ON (r.component_id, r.observed_at) r.component_id AS id, r.observed_at AS at,
           ${levelOf('r.status')} AS level, r.cause
    FROM status_report r
    WHERE r.component_id = ANY ((SELECT ids FROM closure_ids)::uuid[]) AND r.observed_at <= $2
    ORDER BY r.component_id, r.observed_at, r.seq DESC
  ) latest_per_moment
  WINDOW w AS (PARTITION BY id ORDER BY at)
),
own_now AS MATERIALIZED (
  SELECT c.id, coalesce(r.level, 1) AS level, r.cause
  FROM closure c LEFT JOIN rep r ON r.id = c.id AND r.until IS NULL
),
grp_member AS (
  SELECT component_id AS c, redundancy_group AS g, depends_on_id AS m, kind
  FROM edges WHERE redundancy_group IS NOT NULL
),
grp_now AS MATERIALIZED (
  SELECT gm.c, gm.g, bool_or(gm.kind = 'REQUIRED') AS required, bool_and(o.level >= 2) AS all_out,
         min(o.level) AS best,
         (array_agg(gm.m ORDER BY o.level, gm.m))[1] AS best_member,
         (array_agg(gm.m ORDER BY gm.m))[1] AS first_member
  FROM grp_member gm JOIN own_now o ON o.id = gm.m
  GROUP BY gm.c, gm.g
),
-- Effective status now of everything in the closure: walk up from the outages, carrying the level
-- each imposes (outages are few, so this visits little).
outage(id, level) AS (
  SELECT id, level FROM own_now WHERE level >= 2
  UNION
  SELECT c, CASE WHEN required THEN best ELSE 2 END FROM grp_now WHERE all_out
),
up(id, level) AS (
  SELECT id, level FROM outage
  UNION
  SELECT e.component_id, CASE WHEN e.kind = 'REQUIRED' THEN u.level ELSE 2 END
  FROM up u JOIN edges e ON e.depends_on_id = u.id AND e.redundancy_group IS NULL
),
eff_now AS MATERIALIZED (
  SELECT o.id, greatest(o.level, coalesce(max(u.level), 0)) AS level
  FROM own_now o LEFT JOIN up u ON u.id = o.id
  GROUP BY o.id, o.level
),
-- What each edge (or whole group) imposes now, and which one the engine would name as the cause.
candidate AS (
  SELECT e.component_id AS c, false AS is_group, e.depends_on_id AS sort_key, e.depends_on_id AS next,
         CASE WHEN e.kind = 'REQUIRED' THEN en.level ELSE 2 END AS imposed
  FROM edges e JOIN eff_now en ON en.id = e.depends_on_id
  WHERE e.redundancy_group IS NULL AND en.level >= 2
  UNION ALL
  SELECT c, true, first_member, best_member, CASE WHEN required THEN best ELSE 2 END
  FROM grp_now WHERE all_out
),
choice AS MATERIALIZED (
  SELECT DISTINCT ON (k.c) k.c, k.next
  FROM candidate k JOIN eff_now en ON en.id = k.c JOIN own_now o ON o.id = k.c
  WHERE k.imposed = en.level AND (en.level > o.level OR o.cause = 'DEPENDENCY')
  ORDER BY k.c, k.is_group, k.sort_key
),
walk(service, node, pos) AS (
  SELECT s.id, s.id, 1 FROM svc s JOIN eff_now en ON en.id = s.id WHERE en.level >= 2
  UNION ALL
  SELECT w.service, ch.next, w.pos + 1 FROM walk w JOIN choice ch ON ch.c = w.node
),
root_cause AS (
  SELECT w.service, json_agg(json_build_object('id', ${globalId('Component', 'w.node')}, 'name', c.name) ORDER BY w.pos) AS path
  FROM walk w JOIN component c ON c.id = w.node
  GROUP BY w.service
),
-- Each source's contribution to a service changes at the source's report moments.
grp_moment AS (
  SELECT DISTINCT gm.c, gm.g, r.at FROM grp_member gm JOIN rep r ON r.id = gm.m
),
grp_timeline AS (
  SELECT c, g, at, value, lag(value, 1, 0) OVER (PARTITION BY c, g ORDER BY at) AS before
  FROM (
    SELECT t.c, t.g, t.at,
           CASE WHEN bool_and(coalesce(r.level, 1) >= 2) THEN min(r.level) ELSE 0 END AS value
    FROM grp_moment t
    JOIN grp_member gm ON gm.c = t.c AND gm.g = t.g
    LEFT JOIN rep r ON r.id = gm.m AND r.at <= t.at AND (r.until IS NULL OR r.until > t.at)
    GROUP BY t.c, t.g, t.at
  ) moments
),
-- A component that was never out never imposes anything: its reports cannot move a dependant's status.
ever_out AS (
  SELECT DISTINCT id FROM rep WHERE level >= 2
),
source_change AS (
  SELECT r.id AS s, r.at, r.before AS old, r.level AS new
  FROM svc s JOIN rep r ON r.id = s.id
  UNION ALL
  SELECT rb.x, r.at,
         CASE WHEN r.before < 2 THEN 0 WHEN rb.full_path THEN r.before ELSE 2 END,
         CASE WHEN r.level < 2 THEN 0 WHEN rb.full_path THEN r.level ELSE 2 END
  FROM ever_out eo JOIN reach_best rb ON rb.y = eo.id AND rb.y <> rb.x JOIN rep r ON r.id = eo.id
  UNION ALL
  SELECT rb.x, t.at,
         CASE WHEN t.before < 2 THEN 0 WHEN rb.full_path AND gm.required THEN t.before ELSE 2 END,
         CASE WHEN t.value < 2 THEN 0 WHEN rb.full_path AND gm.required THEN t.value ELSE 2 END
  FROM reach_best rb
  JOIN grp_timeline t ON t.c = rb.y
  JOIN grp_now gm ON gm.c = t.c AND gm.g = t.g
),
delta AS (
  SELECT s, at, old AS level, -1 AS d FROM source_change WHERE old <> new AND old > 0
  UNION ALL
  SELECT s, at, new, 1 FROM source_change WHERE old <> new AND new > 0
),
step AS (
  SELECT s, at,
         coalesce(sum(d) FILTER (WHERE level = 1), 0) AS d1, coalesce(sum(d) FILTER (WHERE level = 2), 0) AS d2,
         coalesce(sum(d) FILTER (WHERE level = 3), 0) AS d3, coalesce(sum(d) FILTER (WHERE level = 4), 0) AS d4,
         coalesce(sum(d) FILTER (WHERE level = 5), 0) AS d5
  FROM delta GROUP BY s, at
),
level_after AS (
  SELECT s, at,
         CASE WHEN sum(d5) OVER w > 0 THEN 5 WHEN sum(d4) OVER w > 0 THEN 4 WHEN sum(d3) OVER w > 0 THEN 3
              WHEN sum(d2) OVER w > 0 THEN 2 WHEN 1 + sum(d1) OVER w > 0 THEN 1 ELSE 0 END AS level
  FROM step
  WINDOW w AS (PARTITION BY s ORDER BY at ROWS UNBOUNDED PRECEDING)
),
since AS (
  SELECT s, max(at) AS since FROM (
    SELECT s, at, level, lag(level, 1, 1) OVER (PARTITION BY s ORDER BY at) AS before FROM level_after
  ) changes
  WHERE level <> before
  GROUP BY s
)
SELECT json_build_object('data', json_build_object('municipality',
  CASE WHEN NOT EXISTS (SELECT 1 FROM muni) THEN NULL ELSE json_build_object('services', coalesce((
    SELECT json_agg(json_build_object(
      'service', json_build_object('id', ${globalId('Component', 'c.id')}, 'name', c.name),
      'status', ${statusOf('en.level')},
      'cause', CASE WHEN en.level >= 2 AND ch.c IS NOT NULL THEN 'DEPENDENCY' ELSE o.cause END,
      'since', CASE WHEN en.level = 1 THEN NULL ELSE ${isoUtc('st.since')} END,
      'rootCause', coalesce(rc.path, '[]'::json)
    ) ORDER BY c.name, c.id)
    FROM svc s
    JOIN component c ON c.id = s.id
    JOIN eff_now en ON en.id = s.id
    JOIN own_now o ON o.id = s.id
    LEFT JOIN choice ch ON ch.c = s.id
    LEFT JOIN since st ON st.s = s.id
    LEFT JOIN root_cause rc ON rc.service = s.id
  ), '[]'::json)) END
))::text AS body
`;
