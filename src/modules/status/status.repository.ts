import { EntityManager, In } from 'typeorm';
import { pagesFromRows } from '../../common/page-loader';
import { ComponentFact, DependencyGraph, EdgeFact, ReportFact } from './status.engine';
import { StatusReport } from './status-report.entity';
import type { StatusCause } from './status-report.entity';
import { Component } from '../component/component.entity';

interface GraphRow {
  id: string;
  heartbeat_seconds: number | null;
  edges: [string, 'REQUIRED' | 'OPTIONAL', string | null][];
}

interface ReportRow {
  id: string;
  component_id: string;
  status: ReportFact['status'];
  cause: ReportFact['cause'];
  observed_at: Date;
  seq: string;
}

/** An edge counts at `asOf` when it had been added and not yet removed. */
function edgeInForce(asOfParameter: string): string {
  return `d.added_at <= ${asOfParameter} AND (d.removed_at IS NULL OR d.removed_at > ${asOfParameter})`;
}

function toReportFact(row: ReportRow): ReportFact {
  return { id: row.id, componentId: row.component_id, status: row.status, cause: row.cause, observedAt: row.observed_at, seq: Number(row.seq) };
}

function toGraph(componentRows: GraphRow[], reportRows: ReportRow[]): DependencyGraph {
  const components = new Map<string, ComponentFact>();
  const edges: EdgeFact[] = [];
  for (const row of componentRows) {
    components.set(row.id, { id: row.id, heartbeatSeconds: row.heartbeat_seconds, reports: [] });
    for (const [dependsOnId, kind, redundancyGroup] of row.edges) {
      edges.push({ componentId: row.id, dependsOnId, kind, redundancyGroup });
    }
  }
  // Rows arrive sorted by (component, observed_at, seq), so each list is oldest first.
  for (const row of reportRows) components.get(row.component_id)?.reports.push(toReportFact(row));
  return new DependencyGraph(components.values(), edges);
}

export interface ComponentRow {
  id: string; kind: Component['kind']; operator_id: string; name: string; description: string | null;
  product_vendor: string | null; product: string | null; version: string | null; internet_facing: boolean | null;
  audience: Component['audience']; heartbeat_seconds: number | null; revision: number; created_at: Date; updated_at: Date;
}

/** A Component entity from a raw row (the same class TypeORM's own finds return). */
export function componentFromRow(row: ComponentRow): Component {
  return componentFromColumns(row, row.created_at, row.updated_at);
}

/** The same, for rows that carry their timestamps as epoch milliseconds (cheaper to parse by the 10,000). */
export function componentFromColumns(row: Omit<ComponentRow, 'created_at' | 'updated_at'>, createdAt: Date, updatedAt: Date): Component {
  // Plain assignment, not db.create: this runs for every component above a hub gateway (33,000).
  return Object.assign(new Component(), {
    id: row.id, kind: row.kind, operatorId: row.operator_id, name: row.name, description: row.description,
    productVendor: row.product_vendor, product: row.product, version: row.version, internetFacing: row.internet_facing,
    audience: row.audience, heartbeatSeconds: row.heartbeat_seconds, revision: row.revision, createdAt, updatedAt,
  });
}

type ClosureRow = Partial<ComponentRow> & Pick<ComponentRow, 'id' | 'heartbeat_seconds'> & {
  edges: GraphRow['edges'];
  reports: [string, ReportFact['status'], ReportFact['cause'], string, number][];
};

/**
 * Every component `rootIds` reach through dependencies in force at `asOf`, with its edges then and
 * its reports up to `asOf` (all of them, or only the newest): one statement, whatever the number of
 * roots. `columns` are the component's own columns to return.
 */
async function closureRows(
  db: EntityManager, rootIds: readonly string[], asOf: Date, reports: 'history' | 'latest', columns: 'c.*' | 'c.id, c.heartbeat_seconds',
): Promise<ClosureRow[]> {
  const reportsOfComponent = reports === 'history'
    ? `SELECT json_agg(json_build_array(r.id, r.status, r.cause, r.observed_at, r.seq) ORDER BY r.observed_at, r.seq)
         FROM status_report r WHERE r.component_id = c.id AND r.observed_at <= $2`
    : `SELECT json_agg(json_build_array(r.id, r.status, r.cause, r.observed_at, r.seq))
         FROM (SELECT * FROM status_report r WHERE r.component_id = c.id AND r.observed_at <= $2
                ORDER BY r.observed_at DESC, r.seq DESC LIMIT 1) r`;
  return db.query(
    `WITH RECURSIVE closure(id) AS (
       SELECT unnest($1::uuid[])
       UNION
       -- Probe each row's edges through the index (LATERAL … OFFSET 0): the planner cannot estimate a
       -- recursive CTE and otherwise hash-joins the whole dependency table at every step (430 ms → 31 ms).
       SELECT d.depends_on_id FROM closure c
         CROSS JOIN LATERAL (SELECT d.depends_on_id FROM dependency d WHERE d.component_id = c.id AND ${edgeInForce('$2')} OFFSET 0) d
     )
     SELECT ${columns},
            COALESCE((SELECT json_agg(json_build_array(d.depends_on_id, d.kind, d.redundancy_group))
                        FROM dependency d WHERE d.component_id = c.id AND ${edgeInForce('$2')}), '[]') AS edges,
            COALESCE((${reportsOfComponent}), '[]') AS reports
       -- An array, not a join: the planner cannot estimate a recursive CTE and, joining, hashed the
       -- whole component table (125,000 rows at national scale) to find a few hundred: 91 ms → 27 ms.
       FROM component c WHERE c.id = ANY(ARRAY(SELECT id FROM closure))`,
    [rootIds, asOf],
  );
}

function graphOfRows(rows: readonly ClosureRow[]): DependencyGraph {
  const facts: ComponentFact[] = [];
  const edges: EdgeFact[] = [];
  for (const row of rows) {
    facts.push({
      id: row.id,
      heartbeatSeconds: row.heartbeat_seconds,
      reports: row.reports.map(([id, status, cause, observedAt, seq]) => ({ id, componentId: row.id, status, cause, observedAt: new Date(observedAt), seq: Number(seq) })),
    });
    for (const [dependsOnId, kind, redundancyGroup] of row.edges) edges.push({ componentId: row.id, dependsOnId, kind, redundancyGroup });
  }
  return new DependencyGraph(facts, edges);
}

export const statusRepository = {
  /**
   * Everything the status engine needs to judge `rootIds` at `asOf`: every component they reach
   * through dependencies in force then, those edges, and the reports observed up to `asOf` (all of
   * them for `since` and uptime, or only the newest per component for a picture of one moment).
   * One statement, whatever the number of roots; it also returns the component rows, so the
   * root-cause components a dashboard shows need no query of their own.
   */
  async graphBelowWithComponents(
    db: EntityManager,
    rootIds: readonly string[],
    asOf: Date,
    reports: 'history' | 'latest' = 'history',
  ): Promise<{ graph: DependencyGraph; components: Component[] }> {
    const rows = await closureRows(db, rootIds, asOf, reports, 'c.*');
    return { graph: graphOfRows(rows), components: rows.map((row) => componentFromRow(row as ComponentRow)) };
  },

  /** The graph alone: its rows carry only what the engine reads (a hub's closure is 35,000 rows). */
  async graphBelow(
    db: EntityManager,
    rootIds: readonly string[],
    asOf: Date,
    reports: 'history' | 'latest' = 'history',
  ): Promise<DependencyGraph> {
    return graphOfRows(await closureRows(db, rootIds, asOf, reports, 'c.id, c.heartbeat_seconds'));
  },


  /**
   * The whole graph at `asOf` with only each component's newest report: enough for a picture of
   * one moment (national overview, status filters), not for `since` or uptime.
   */
  async wholeGraphAt(db: EntityManager, asOf: Date): Promise<DependencyGraph> {
    const componentRows: GraphRow[] = await db.query(
      `SELECT c.id, c.heartbeat_seconds,
              COALESCE((SELECT json_agg(json_build_array(d.depends_on_id, d.kind, d.redundancy_group))
                          FROM dependency d WHERE d.component_id = c.id AND ${edgeInForce('$1')}), '[]') AS edges
         FROM component c`,
      [asOf],
    );
    const reportRows: ReportRow[] = await db.query(
      `SELECT DISTINCT ON (component_id) id, component_id, status, cause, observed_at, seq
         FROM status_report
        WHERE observed_at <= $1
        ORDER BY component_id, observed_at DESC, seq DESC`,
      [asOf],
    );
    return toGraph(componentRows, reportRows);
  },

  /** A component's own newest report (by observation, then arrival), or null when it has none. */
  async newestReport(db: EntityManager, componentId: string): Promise<ReportFact | null> {
    const [row]: { id: string; status: ReportFact['status']; cause: StatusCause | null; observed_at: Date; seq: string }[] = await db.query(
      `SELECT id, status, cause, observed_at, seq FROM status_report WHERE component_id = $1 ORDER BY observed_at DESC, seq DESC LIMIT 1`,
      [componentId],
    );
    return row ? { id: row.id, componentId, status: row.status, cause: row.cause, observedAt: row.observed_at, seq: Number(row.seq) } : null;
  },

  /** Ids of every component that depends, directly or transitively, on `componentId` (itself included). */
  async idsAbove(db: EntityManager, componentId: string, asOf: Date): Promise<string[]> {
    const rows: { id: string }[] = await db.query(
      `WITH RECURSIVE above(id) AS (
         SELECT $1::uuid
         UNION
         SELECT d.component_id FROM above a
           CROSS JOIN LATERAL (SELECT d.component_id FROM dependency d WHERE d.depends_on_id = a.id AND ${edgeInForce('$2')} OFFSET 0) d
       )
       SELECT id FROM above`,
      [componentId, asOf],
    );
    return rows.map((row) => row.id);
  },

  reportsByIds(db: EntityManager, ids: readonly string[]): Promise<StatusReport[]> {
    return db.findBy(StatusReport, { id: In([...ids]) });
  },

  /** The newest report (by observation, then arrival) per component at `asOf`. */
  latestReports(db: EntityManager, componentIds: readonly string[], asOf: Date): Promise<StatusReport[]> {
    return db
      .createQueryBuilder(StatusReport, 'r')
      .distinctOn(['r.component_id'])
      .where('r.component_id = ANY(:ids)', { ids: componentIds })
      .andWhere('r.observed_at <= :asOf', { asOf })
      .orderBy('r.component_id')
      .addOrderBy('r.observed_at', 'DESC')
      .addOrderBy('r.seq', 'DESC')
      .getMany();
  },

  /** A page of history per component, newest observation first: one statement for every component. */
  async historyPages(db: EntityManager, componentIds: string[], after: { observedAt: string; seq: number } | null, limit: number) {
    const rows = await db.query(
      `SELECT t.parent_id, r.id, t.total, r.position
         FROM (SELECT component_id AS parent_id, count(*) AS total
                 FROM status_report WHERE component_id = ANY($1::uuid[]) GROUP BY component_id) t
         LEFT JOIN (
           SELECT s.component_id AS parent_id, s.id,
                  row_number() OVER (PARTITION BY s.component_id ORDER BY s.observed_at DESC, s.seq DESC) AS position
             FROM status_report s
            WHERE s.component_id = ANY($1::uuid[])
              AND ($2::timestamptz IS NULL OR (s.observed_at, s.seq) < ($2, $3::bigint))
         ) r ON r.parent_id = t.parent_id AND r.position <= $4 + 1
        ORDER BY t.parent_id, r.position`,
      [componentIds, after?.observedAt ?? null, after?.seq ?? null, limit],
    );
    return pagesFromRows(rows, limit);
  },
};
