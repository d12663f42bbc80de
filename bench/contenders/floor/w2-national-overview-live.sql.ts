import { levelOf, NATIONAL_OVERVIEW_JSON } from './common.sql';

/**
 * W2 again, as one statement over ketenbeeld's stored live picture (`live_status`, kept current on
 * write; see migrations/1768400000000-CreateLivePicture.ts) instead of over the reports. ketenbeeld
 * answers W2 from that table, so this is the floor that shows what its GraphQL and TypeORM layers
 * cost on the same work; the statement over the reports shows what keeping the table saves.
 * Valid only while the stored picture is current, which the harness ensures by asking ketenbeeld
 * first (its start rebuilds the picture) and by measuring reads before writes.
 */
export const W2_NATIONAL_OVERVIEW_LIVE_SQL = `
WITH
by_status AS (
  SELECT ${levelOf('status')} AS level, count(*) AS n FROM live_status GROUP BY status
),
by_product AS (
  SELECT c.product_vendor, c.product, c.version, ${levelOf('l.status')} AS level, count(*) AS n
  FROM live_status l JOIN component c ON c.id = l.component_id
  WHERE l.kind = 'GATEWAY' AND c.kind = 'GATEWAY'
  GROUP BY c.product_vendor, c.product, c.version, l.status
),
residents AS (
  SELECT coalesce(sum(m.population), 0) AS n FROM organisation m
  WHERE m.kind = 'MUNICIPALITY' AND EXISTS (
    SELECT 1 FROM service_delivery sd JOIN live_status l ON l.component_id = sd.service_id JOIN component s ON s.id = sd.service_id
    WHERE sd.municipality_id = m.id AND s.audience = 'RESIDENTS' AND l.status <> 'OPERATIONAL')
)
${NATIONAL_OVERVIEW_JSON}
`;
