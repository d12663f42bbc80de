import { globalId, levelOf } from './common.sql';

/**
 * W3, `impact(componentId) { residentsAffected municipalities { cbsCode } affected { service { id }
 * municipality { cbsCode } status } }`: $1 the component's uuid, $2 the hypothetical status, $3 asOf.
 *
 * ketenbeeld's reading of the what-if, reproduced: the services that depend on the component (directly
 * or not), delivered to municipalities, judged as if the component had the given status; listed when
 * not OPERATIONAL (UNKNOWN too). The statuses come from the same "walk up from the outages" as W2, but
 * only over the closure of the affected services.
 */
export const W3_IMPACT_SQL = `
WITH RECURSIVE
above(id) AS (
  SELECT id FROM component WHERE id = $1
  UNION
  SELECT d.component_id FROM above a JOIN dependency d ON d.depends_on_id = a.id AND d.removed_at IS NULL
),
delivery AS (
  SELECT sd.service_id, sd.municipality_id FROM service_delivery sd JOIN above a ON a.id = sd.service_id
),
closure(id) AS (
  SELECT DISTINCT service_id FROM delivery
  UNION
  SELECT d.depends_on_id FROM closure c JOIN dependency d ON d.component_id = c.id AND d.removed_at IS NULL
),
own AS MATERIALIZED (
  SELECT c.id, CASE WHEN c.id = $1 THEN ${levelOf('$2::text')} ELSE coalesce(r.level, 1) END AS level
  FROM closure c LEFT JOIN LATERAL (
    SELECT ${levelOf('r.status')} AS level FROM status_report r
    WHERE r.component_id = c.id AND r.observed_at <= $3 ORDER BY r.observed_at DESC, r.seq DESC LIMIT 1
  ) r ON true
),
grp AS (
  SELECT d.component_id AS c, d.redundancy_group AS g, bool_or(d.kind = 'REQUIRED') AS required,
         bool_and(o.level >= 2) AS all_out, min(o.level) AS best
  FROM closure c JOIN dependency d ON d.component_id = c.id AND d.removed_at IS NULL AND d.redundancy_group IS NOT NULL
  JOIN own o ON o.id = d.depends_on_id
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
  FROM up u JOIN dependency d ON d.depends_on_id = u.id AND d.removed_at IS NULL AND d.redundancy_group IS NULL
  JOIN closure c ON c.id = d.component_id
),
imposed AS (
  SELECT id, max(level) AS level FROM up GROUP BY id
),
eff AS MATERIALIZED (
  SELECT d.service_id, d.municipality_id, c.audience, greatest(o.level, coalesce(i.level, 0)) AS level
  FROM delivery d JOIN component c ON c.id = d.service_id JOIN own o ON o.id = d.service_id
  LEFT JOIN imposed i ON i.id = d.service_id
),
affected AS (
  SELECT e.*, m.cbs_code, m.population FROM eff e JOIN organisation m ON m.id = e.municipality_id WHERE e.level <> 0
)
SELECT json_build_object('data', json_build_object('impact', json_build_object(
  'residentsAffected', (SELECT coalesce(sum(population), 0) FROM (SELECT DISTINCT municipality_id, population FROM affected WHERE audience = 'RESIDENTS') r),
  'municipalities', coalesce((SELECT json_agg(json_build_object('cbsCode', cbs_code) ORDER BY cbs_code) FROM (SELECT DISTINCT cbs_code FROM affected) m), '[]'::json),
  'affected', coalesce((SELECT json_agg(json_build_object(
      'service', json_build_object('id', ${globalId('Component', 'service_id')}),
      'municipality', json_build_object('cbsCode', cbs_code),
      'status', (ARRAY['OPERATIONAL','UNKNOWN','DEGRADED_PERFORMANCE','UNDER_MAINTENANCE','PARTIAL_OUTAGE','MAJOR_OUTAGE'])[level + 1]
    ) ORDER BY cbs_code, service_id) FROM affected), '[]'::json)
)))::text AS body
`;
