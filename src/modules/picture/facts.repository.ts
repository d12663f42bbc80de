import type { EntityManager } from 'typeorm';
import type { Audience, ComponentKind, DependencyKind, ReportedStatus, StatusCause } from '../../common/vocabulary';
import { uuidArrayLiteral } from '../../db/uuid-array';
import { epochMs } from '../../db/epoch-ms';
import type { DependantEdge } from './picture.repository';
import type { Delivery } from './status.rules';
import { ComponentFact, DependencyGraph, EdgeFact, HeartbeatFact, MaintenanceFact, ReportFact } from './status.engine';

/**
 * Reads the facts the status engine judges: components (heartbeat promises, retirement),
 * dependencies with their periods, status reports. The tables belong to the component and status
 * modules, which write them; the picture module only reads them, to judge.
 */

/**
 * A service's audience at `asOf`: from the revision in force then, or the component's own row when
 * it has no revisions (facts loaded in bulk, around the API).
 */
const audienceAt = (serviceId: string, asOf: string) => `coalesce(
  (SELECT r.audience FROM component_revision r WHERE r.component_id = ${serviceId} AND r.valid_from <= ${asOf} ORDER BY r.valid_from DESC, r.revision DESC LIMIT 1),
  (SELECT c.audience FROM component c WHERE c.id = ${serviceId} AND NOT EXISTS (SELECT 1 FROM component_revision r WHERE r.component_id = c.id)))`;


/** A component's maintenance windows as [id, from, until] (one cancelled before it began never counted). */
const maintenanceOf = (component: string) => `(SELECT json_agg(json_build_array(w.id, ${epochMs('w.starts_at')}, ${epochMs('w.ends_at')}) ORDER BY w.starts_at)
   FROM maintenance_component mc JOIN maintenance_window w ON w.id = mc.maintenance_id
  WHERE mc.component_id = ${component} AND (w.cancelled_at IS NULL OR w.cancelled_at > w.starts_at))`;

type ClosureRow = {
  id: string;
  maintenance?: [string, number, number][] | null;
  retired_ms: number | null;
  heartbeats: [number | null, number][] | null;
  edges: [string, DependencyKind, string | null, number, number | null][] | null;
  reports: [string, ReportedStatus, StatusCause | null, number, number][] | null;
};

function graphOf(rows: readonly ClosureRow[]): DependencyGraph {
  const facts: ComponentFact[] = [];
  const edges: EdgeFact[] = [];
  for (const row of rows) {
    facts.push({
      id: row.id,
      retiredAt: row.retired_ms,
      heartbeats: (row.heartbeats ?? []).map(([seconds, from]): HeartbeatFact => ({ seconds, from })).sort((a, b) => a.from - b.from),
      reports: (row.reports ?? []).map(([reportId, status, cause, observed, seq]) => ({ id: reportId, componentId: row.id, status, cause, observedAt: new Date(observed), seq })),
      maintenance: (row.maintenance ?? []).map(([windowId, from, until]) => ({ id: windowId, from, until })),
    });
    for (const [dependsOnId, kind, redundancyGroup, from, until] of row.edges ?? []) {
      edges.push({ componentId: row.id, dependsOnId, kind, redundancyGroup, from, until });
    }
  }
  return new DependencyGraph(facts, edges);
}

/** The facts of each component in `closure` (a CTE of ids) known at `asOf` (a parameter), as one row each. */
const factsOfClosure = (asOf: string) => `
  SELECT c.id, ${epochMs('c.retired_at')} AS retired_ms, ${maintenanceOf('c.id')} AS maintenance,
         (SELECT json_agg(json_build_array(h.heartbeat_seconds, ${epochMs('h.valid_from')}))
            FROM heartbeat_promise h WHERE h.component_id = c.id AND h.valid_from <= ${asOf}) AS heartbeats,
         (SELECT json_agg(json_build_array(d.depends_on_id, d.kind, d.redundancy_group, ${epochMs('d.added_at')}, ${epochMs('d.removed_at')}))
            FROM dependency d WHERE d.component_id = c.id AND d.added_at <= ${asOf}) AS edges,
         (SELECT json_agg(json_build_array(r.id, r.status, r.cause, ${epochMs('r.observed_at')}, r.seq) ORDER BY r.observed_at, r.seq)
            FROM status_report r WHERE r.component_id = c.id AND r.observed_at <= ${asOf}) AS reports
    -- An array, not a join: the planner cannot estimate a recursive CTE and would hash the whole table.
    FROM component c WHERE c.id = ANY(ARRAY(SELECT id FROM closure))`;

export const factsRepository = {
  /**
   * Everything the engine needs to answer about `rootIds` at any moment up to `asOf`: every
   * component they reached through a dependency added by then (whether or not it was removed
   * later), each with its reports observed by then, its heartbeat promises and its retirement.
   * One statement, whatever the number of roots.
   */
  async history(db: EntityManager, rootIds: readonly string[], asOf: Date): Promise<DependencyGraph> {
    const rows: ClosureRow[] = await db.query(
      `WITH RECURSIVE closure(id) AS (
         SELECT unnest($1::uuid[])
         UNION
         -- Probe each row's edges through the index (LATERAL … OFFSET 0): the planner cannot estimate a
         -- recursive CTE and otherwise hash-joins the whole dependency table at every step.
         SELECT d.depends_on_id FROM closure c
           CROSS JOIN LATERAL (SELECT d.depends_on_id FROM dependency d WHERE d.component_id = c.id AND d.added_at <= $2 OFFSET 0) d
       )
       ${factsOfClosure('$2')}`,
      [uuidArrayLiteral(rootIds), asOf],
    );
    return graphOf(rows);
  },

  /**
   * Components that depended, directly or through others, on any of `rootIds` at some moment from
   * `from` on: what a report dated `from` can have changed the history of.
   */
  async dependantsSince(db: EntityManager, rootIds: readonly string[], from: Date): Promise<string[]> {
    const rows: { id: string }[] = await db.query(
      `WITH RECURSIVE above(id) AS (
         SELECT unnest($1::uuid[])
         UNION
         SELECT d.component_id FROM above a
           CROSS JOIN LATERAL (SELECT d.component_id FROM dependency d
                                WHERE d.depends_on_id = a.id AND (d.removed_at IS NULL OR d.removed_at > $2) OFFSET 0) d
       )
       SELECT id FROM above`,
      [uuidArrayLiteral(rootIds), from],
    );
    return rows.map((row) => row.id);
  },

  /** The component's report just before `report` (by observation, then arrival), or null. */
  async reportBefore(db: EntityManager, report: { componentId: string; observedAt: Date; seq: number }): Promise<ReportFact | null> {
    const [row]: { id: string; status: ReportedStatus; cause: StatusCause | null; observed_at: Date; seq: string }[] = await db.query(
      `SELECT id, status, cause, observed_at, seq FROM status_report
        WHERE component_id = $1 AND (observed_at, seq) < ($2, $3::bigint)
        ORDER BY observed_at DESC, seq DESC LIMIT 1`,
      [report.componentId, report.observedAt, report.seq],
    );
    return row ? { id: row.id, componentId: report.componentId, status: row.status, cause: row.cause, observedAt: row.observed_at, seq: Number(row.seq) } : null;
  },

  /** Whether any dependency ended after `moment`. */
  async dependencyEndedSince(db: EntityManager, moment: Date): Promise<boolean> {
    const rows: unknown[] = await db.query(`SELECT 1 FROM dependency WHERE removed_at > $1 LIMIT 1`, [moment]);
    return rows.length > 0;
  },

  /** The municipalities each service is delivered to now. */
  async municipalitiesOfServices(db: EntityManager, serviceIds: readonly string[]): Promise<Map<string, string[]>> {
    const byService = new Map<string, string[]>();
    if (serviceIds.length === 0) return byService;
    const rows: { service_id: string; municipality_id: string }[] = await db.query(
      `SELECT service_id, municipality_id FROM service_delivery
        WHERE service_id = ANY($1::uuid[]) AND delivered_until IS NULL`,
      [uuidArrayLiteral(serviceIds)],
    );
    for (const row of rows) {
      const list = byService.get(row.service_id);
      if (list) list.push(row.municipality_id);
      else byService.set(row.service_id, [row.municipality_id]);
    }
    return byService;
  },

  /**
   * Who received which service at `asOf`, with what the residents count needs. `serviceIds` null:
   * every service.
   */
  async deliveriesAt(db: EntityManager, serviceIds: readonly string[] | null, asOf: Date): Promise<Delivery[]> {
    return db.query(
      `SELECT sd.service_id AS "serviceId", ${audienceAt('sd.service_id', '$2')} AS audience, sd.municipality_id AS "municipalityId", m.population
         FROM service_delivery sd
         JOIN organisation m ON m.id = sd.municipality_id
        WHERE ($1::uuid[] IS NULL OR sd.service_id = ANY($1::uuid[]))
          AND sd.delivered_from <= $2 AND (sd.delivered_until IS NULL OR sd.delivered_until > $2)`,
      [serviceIds === null ? null : uuidArrayLiteral(serviceIds), asOf],
    );
  },

  /** The maintenance windows of `ids` that are not over at `now`, per component. */
  async maintenanceNotOver(db: EntityManager, ids: readonly string[], now: Date): Promise<Map<string, MaintenanceFact[]>> {
    const rows: { component_id: string; id: string; from_ms: number; until_ms: number }[] = await db.query(
      `SELECT mc.component_id, w.id, ${epochMs('w.starts_at')} AS from_ms, ${epochMs('w.ends_at')} AS until_ms
         FROM maintenance_component mc JOIN maintenance_window w ON w.id = mc.maintenance_id
        WHERE mc.component_id = ANY($1::uuid[]) AND w.ends_at > $2 AND (w.cancelled_at IS NULL OR w.cancelled_at > w.starts_at)
        ORDER BY w.starts_at`,
      [uuidArrayLiteral(ids), now],
    );
    const windows = new Map<string, MaintenanceFact[]>(ids.map((id) => [id, []]));
    for (const row of rows) windows.get(row.component_id)?.push({ id: row.id, from: row.from_ms, until: row.until_ms });
    return windows;
  },

  /** Who receives which of the services now, with what the residents count needs. */
  async deliveriesNow(db: EntityManager, serviceIds: readonly string[]): Promise<Delivery[]> {
    return db.query(
      `SELECT sd.service_id AS "serviceId", s.audience, sd.municipality_id AS "municipalityId", m.population
         FROM unnest($1::uuid[]) AS asked(id)
         JOIN service_delivery sd ON sd.service_id = asked.id AND sd.delivered_until IS NULL
         JOIN component s ON s.id = sd.service_id
         JOIN organisation m ON m.id = sd.municipality_id`,
      [uuidArrayLiteral(serviceIds)],
    );
  },

  /**
   * Kind and audience of every component not retired: the stored picture's fixed columns. By
   * operator, so that the components judged together share most of what they depend on (an
   * organisation's services stand on its own applications and gateways).
   */
  async components(db: EntityManager): Promise<{ id: string; kind: ComponentKind; audience: Audience | null }[]> {
    return db.query(`SELECT id, kind, audience FROM component WHERE retired_at IS NULL ORDER BY operator_id, id`);
  },

  /** Who depends on each of `ids` at `asOf`: the dependencies in force then of components not retired. */
  async dependantsAt(db: EntityManager, ids: readonly string[], asOf: Date): Promise<Map<string, DependantEdge[]>> {
    const rows: { depends_on_id: string; component_id: string; kind: DependencyKind; redundancy_group: string | null }[] = await db.query(
      `SELECT d.depends_on_id, d.component_id, d.kind, d.redundancy_group
         FROM dependency d JOIN component c ON c.id = d.component_id AND c.retired_at IS NULL
        WHERE d.depends_on_id = ANY($1::uuid[]) AND d.added_at <= $2 AND (d.removed_at IS NULL OR d.removed_at > $2)
        ORDER BY d.depends_on_id, d.component_id`,
      [uuidArrayLiteral(ids), asOf],
    );
    const dependants = new Map<string, DependantEdge[]>();
    for (const row of rows) {
      const edge = { componentId: row.component_id, kind: row.kind, redundancyGroup: row.redundancy_group };
      const list = dependants.get(row.depends_on_id);
      if (list) list.push(edge);
      else dependants.set(row.depends_on_id, [edge]);
    }
    return dependants;
  },
};

/** The services delivered to a municipality at `asOf`, by name. */
export async function servicesDeliveredAt(db: EntityManager, municipalityId: string, asOf: Date): Promise<string[]> {
  const rows: { id: string }[] = await db.query(
    `SELECT c.id FROM service_delivery sd JOIN component c ON c.id = sd.service_id
      WHERE sd.municipality_id = $1 AND sd.delivered_from <= $2 AND (sd.delivered_until IS NULL OR sd.delivered_until > $2)
      ORDER BY c.name, c.id`,
    [municipalityId, asOf],
  );
  return rows.map((row) => row.id);
}

/**
 * Every component's facts in force at `asOf` and only those: the dependencies in force then, each
 * component's newest report by then, its heartbeat promise then, its retirement. Enough for a
 * picture of that one moment (a national overview of the past), not for `since` or uptime.
 */
export async function countryAt(db: EntityManager, asOf: Date): Promise<DependencyGraph> {
  const rows: ClosureRow[] = await db.query(
    `SELECT c.id, ${epochMs('c.retired_at')} AS retired_ms, ${maintenanceOf('c.id')} AS maintenance,
            (SELECT json_agg(json_build_array(h.heartbeat_seconds, ${epochMs('h.valid_from')}))
               FROM (SELECT * FROM heartbeat_promise h WHERE h.component_id = c.id AND h.valid_from <= $1
                      ORDER BY h.valid_from DESC LIMIT 1) h) AS heartbeats,
            (SELECT json_agg(json_build_array(d.depends_on_id, d.kind, d.redundancy_group, ${epochMs('d.added_at')}, ${epochMs('d.removed_at')}))
               FROM dependency d WHERE d.component_id = c.id AND d.added_at <= $1 AND (d.removed_at IS NULL OR d.removed_at > $1)) AS edges,
            (SELECT json_agg(json_build_array(r.id, r.status, r.cause, ${epochMs('r.observed_at')}, r.seq))
               FROM (SELECT * FROM status_report r WHERE r.component_id = c.id AND r.observed_at <= $1
                      ORDER BY r.observed_at DESC, r.seq DESC LIMIT 1) r) AS reports
       FROM component c
      -- Registered by then (what was known at that moment), and not yet retired.
      WHERE c.created_at <= $1 AND (c.retired_at IS NULL OR c.retired_at > $1)`,
    [asOf],
  );
  return graphOf(rows);
}

/** Components above `rootIds` (them included) through the dependencies in force at `asOf`. */
export async function idsAboveAt(db: EntityManager, rootIds: readonly string[], asOf: Date): Promise<string[]> {
  const rows: { id: string }[] = await db.query(
    `WITH RECURSIVE above(id) AS (
       SELECT unnest($1::uuid[])
       UNION
       SELECT d.component_id FROM above a
         CROSS JOIN LATERAL (SELECT d.component_id FROM dependency d
                              WHERE d.depends_on_id = a.id AND d.added_at <= $2 AND (d.removed_at IS NULL OR d.removed_at > $2) OFFSET 0) d
     )
     SELECT id FROM above`,
    [uuidArrayLiteral(rootIds), asOf],
  );
  return rows.map((row) => row.id);
}

/**
 * Which of `candidateIds` stood on each of `rootIds` at `asOf` (a root stands on itself): the walk up
 * from the roots through the dependencies in force then, answering only the pairs asked about.
 */
export async function standingOnAt(db: EntityManager, rootIds: readonly string[], candidateIds: readonly string[], asOf: Date): Promise<{ root: string; id: string }[]> {
  return db.query(
    `WITH RECURSIVE above(root, id) AS (
       SELECT r, r FROM unnest($1::uuid[]) AS r
       UNION
       SELECT a.root, d.component_id FROM above a
         CROSS JOIN LATERAL (SELECT d.component_id FROM dependency d
                              WHERE d.depends_on_id = a.id AND d.added_at <= $2 AND (d.removed_at IS NULL OR d.removed_at > $2) OFFSET 0) d
     )
     SELECT root::text, id::text FROM above WHERE id = ANY($3::uuid[])`,
    [uuidArrayLiteral(rootIds), asOf, uuidArrayLiteral(candidateIds)],
  );
}

