import { globalId, isoUtc } from './common.sql';

/**
 * W1 again, as one statement over ketenbeeld's stored live picture (`live_status`, kept current on
 * write) instead of over the reports: the municipality's services delivered now, each with its stored
 * status, cause, since and root cause path (`root_cause`, the component ids from the service down),
 * names joined from `component`. ketenbeeld answers W1 from that table, so this is the floor that
 * shows what its GraphQL, access and TypeORM layers cost on the same work (W1L); the statement over the
 * reports (w1-dashboard.sql.ts) shows what keeping the table saves. $1 the CBS code.
 * Valid only while the stored picture is current, as for W2L.
 */
export const W1_DASHBOARD_LIVE_SQL = `
SELECT json_build_object('data', json_build_object('municipality',
  (SELECT json_build_object('services', coalesce((
     SELECT json_agg(json_build_object(
       'service', json_build_object('id', ${globalId('Component', 'c.id')}, 'name', c.name),
       'status', l.status,
       'cause', l.cause,
       'since', ${isoUtc('l.since')},
       'rootCause', coalesce((
         SELECT json_agg(json_build_object('id', ${globalId('Component', 'rc.id')}, 'name', rc.name) ORDER BY p.n)
         FROM unnest(l.root_cause) WITH ORDINALITY AS p(id, n) JOIN component rc ON rc.id = p.id
       ), '[]'::json)
     ) ORDER BY c.name, c.id)
     FROM service_delivery sd
     JOIN component c ON c.id = sd.service_id
     JOIN live_status l ON l.component_id = sd.service_id
     WHERE sd.municipality_id = m.id AND sd.delivered_until IS NULL
   ), '[]'::json))
   FROM organisation m WHERE m.cbs_code = $1 AND m.kind = 'MUNICIPALITY')
))::text AS body
`;

/**
 * W1P's floor: the public form of W1 (`services { service { name } status cause since }`, no token)
 * from the same stored picture: no ids, no root cause.
 */
export const W1_PUBLIC_LIVE_SQL = `
SELECT json_build_object('data', json_build_object('municipality',
  (SELECT json_build_object('services', coalesce((
     SELECT json_agg(json_build_object(
       'service', json_build_object('name', c.name),
       'status', l.status,
       'cause', l.cause,
       'since', ${isoUtc('l.since')}
     ) ORDER BY c.name, c.id)
     FROM service_delivery sd
     JOIN component c ON c.id = sd.service_id
     JOIN live_status l ON l.component_id = sd.service_id
     WHERE sd.municipality_id = m.id AND sd.delivered_until IS NULL
   ), '[]'::json))
   FROM organisation m WHERE m.cbs_code = $1 AND m.kind = 'MUNICIPALITY')
))::text AS body
`;
