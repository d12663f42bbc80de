import { globalId, levelOf, OUTAGE_PROPAGATION_CTES } from './common.sql';

/**
 * W3, `impact(componentId) { residentsAffected municipalities { cbsCode } affected { service { id }
 * municipality { cbsCode } status } }`: $1 the component's uuid, $2 the hypothetical status, $3 asOf.
 *
 * ketenbeeld's reading of the what-if, reproduced: the services that depend on the component (directly
 * or not), delivered to municipalities, judged as if the component had the given status; listed when
 * not OPERATIONAL (UNKNOWN too).
 *
 * A hub's dependants reach half the country, so the statuses come from W2's whole-graph method (walk up
 * from every outage, the hypothetical one included) rather than from the closure of the dependants,
 * which at national scale is larger and slower. The recursions probe the indexes row by row
 * (LATERAL … OFFSET 0): the planner's estimate for a recursive CTE is far too high and it would
 * otherwise scan the whole dependency table at every step. Same assumption as W1 about redundancy groups.
 */
export const W3_IMPACT_SQL = `
WITH RECURSIVE
above(id) AS (
  SELECT id FROM component WHERE id = $1
  UNION
  SELECT d.component_id FROM above a CROSS JOIN LATERAL (
    SELECT component_id FROM dependency WHERE depends_on_id = a.id AND removed_at IS NULL OFFSET 0
  ) d
),
delivery AS MATERIALIZED (
  SELECT sd.service_id, sd.municipality_id FROM service_delivery sd JOIN above a ON a.id = sd.service_id
),
reported AS (
  SELECT DISTINCT ON (component_id) component_id AS id, ${levelOf('status')} AS level
  FROM status_report WHERE observed_at <= $3
  ORDER BY component_id, observed_at DESC, seq DESC
),
own AS MATERIALIZED (
  SELECT id, level FROM reported WHERE id <> $1
  UNION ALL
  SELECT $1, ${levelOf('$2::text')}
),
${OUTAGE_PROPAGATION_CTES}eff AS MATERIALIZED (
  SELECT d.service_id, d.municipality_id, c.audience, greatest(coalesce(o.level, 1), coalesce(i.level, 0)) AS level
  FROM delivery d JOIN component c ON c.id = d.service_id
  LEFT JOIN own o ON o.id = d.service_id
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
