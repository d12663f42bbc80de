import { levelOf, NATIONAL_OVERVIEW_JSON, OUTAGE_PROPAGATION_CTES } from './common.sql';

/**
 * W2, `nationalOverview { componentsByStatus { status count } gatewaysByProduct { vendor product version
 * status count } residentsAffected }`, as one statement over the whole graph; $1 is asOf.
 *
 * Only outages impose anything, and they are few, so instead of evaluating every component the
 * statement starts from the outages (components whose own report is an outage, and redundancy groups
 * whose members are all out) and walks *up* the dependants, carrying the level each would impose.
 * `UNION` keeps one row per (component, level), so a hub gateway's outage costs one visit per dependant.
 * Same assumption as W1 about redundancy-group members.
 */
export const W2_NATIONAL_OVERVIEW_SQL = `
WITH RECURSIVE
own AS MATERIALIZED (
  SELECT DISTINCT ON (component_id) component_id AS id, ${levelOf('status')} AS level
  FROM status_report WHERE observed_at <= $1
  ORDER BY component_id, observed_at DESC, seq DESC
),
${OUTAGE_PROPAGATION_CTES}eff AS MATERIALIZED (
  SELECT c.id, c.kind, c.product_vendor, c.product, c.version, c.audience,
         greatest(coalesce(o.level, 1), coalesce(i.level, 0)) AS level
  FROM component c LEFT JOIN own o ON o.id = c.id LEFT JOIN imposed i ON i.id = c.id
),
by_status AS (
  SELECT level, count(*) AS n FROM eff GROUP BY level
),
by_product AS (
  SELECT product_vendor, product, version, level, count(*) AS n FROM eff WHERE kind = 'GATEWAY'
  GROUP BY product_vendor, product, version, level
),
residents AS (
  SELECT coalesce(sum(m.population), 0) AS n FROM organisation m
  WHERE m.kind = 'MUNICIPALITY' AND EXISTS (
    SELECT 1 FROM service_delivery sd JOIN eff e ON e.id = sd.service_id
    WHERE sd.municipality_id = m.id AND e.audience = 'RESIDENTS' AND e.level <> 0)
)
${NATIONAL_OVERVIEW_JSON}
`;
