import type { EntityManager } from 'typeorm';
import type { ComponentStatus, StatusCause } from './status.rules';
import type { ComponentFact, EdgeFact, ReportFact } from './status.engine';
import { componentFromColumns } from './status.repository';
import type { ComponentRow } from './status.repository';
import type { Component } from '../component/component.entity';
import { uuidArrayLiteral } from '../../db/uuid-array';

/** One row of `live_status` (see migrations/1768400000000-CreateLivePicture.ts). */
export interface LiveRow {
  componentId: string;
  status: ComponentStatus;
  cause: StatusCause | null;
  rootCause: string[];
  rootCauseReport: ReportFact | null;
  staleFrom: Date | null;
  /** The component's own newest report. */
  report: ReportFact | null;
}

export interface LivePictureState {
  /** Writes that could change a status, counted by the triggers. */
  changes: number;
  /** The count the stored picture reflects. */
  version: number;
  /** Newest timestamp among the facts, in ms (±Infinity when unknown or none). */
  latestMoment: number;
  /** Statements that wrote \`dependency\`, counted by a trigger (see dependencies-in-memory.ts). */
  dependencyChanges: number;
  /** Statements that wrote organisations, memberships, components or deliveries (see kept-what-ifs.ts). */
  registerChanges: number;
}

type StoredReport = [string, ReportFact['status'], StatusCause | null, string, number];

interface LiveRowRecord {
  component_id: string;
  status: ComponentStatus;
  cause: StatusCause | null;
  root_cause: string[];
  root_cause_report: StoredReport | null;
  stale_from: Date | null;
  report_id: string | null;
  report_status: ReportFact['status'] | null;
  report_cause: StatusCause | null;
  report_observed_at: Date | null;
  report_seq: string | null;
}

function toLiveRow(row: LiveRowRecord): LiveRow {
  const stored = row.root_cause_report;
  return {
    componentId: row.component_id,
    status: row.status,
    cause: row.cause,
    rootCause: row.root_cause,
    rootCauseReport: stored && {
      id: stored[0], componentId: row.root_cause[row.root_cause.length - 1] ?? row.component_id,
      status: stored[1], cause: stored[2], observedAt: new Date(stored[3]), seq: Number(stored[4]),
    },
    staleFrom: row.stale_from,
    report: row.report_id === null ? null : {
      id: row.report_id, componentId: row.component_id, status: row.report_status!, cause: row.report_cause,
      observedAt: row.report_observed_at!, seq: Number(row.report_seq),
    },
  };
}

/**
 * \`members\`: the component $1 and everything that depends on it, directly or transitively, through
 * the dependencies in force now. Level by level, each level one scan of the index of current
 * dependants (Centric's gateway: 33,000 components in five levels, ~200 ms). For a write's
 * transaction, which must see its own writes; a what-if walks the copy in memory instead
 * (dependencies-in-memory.ts).
 */
const MEMBERS_ABOVE = `WITH RECURSIVE level(depth, ids) AS (
         SELECT 0, ARRAY[$1::uuid]
         UNION ALL
         SELECT depth + 1, ARRAY(SELECT DISTINCT d.component_id FROM dependency d
                                  WHERE d.depends_on_id = ANY(level.ids) AND d.removed_at IS NULL)
           FROM level
          -- The graph is kept acyclic on write; the bound stops an old cycle from looping.
          WHERE cardinality(level.ids) > 0 AND depth < 100
       ),
       members AS MATERIALIZED (SELECT DISTINCT unnest(ids) AS id FROM level)`;

/**
 * Every dependency in force of the components in \`members\` ($1), each member's read from the covering
 * index, with whether it points at another member (\`inside\`) and whether at a component in an
 * outage in the stored picture (\`outage\`). A subquery to select from; OFFSET 0 keeps the two tests
 * evaluated once per dependency rather than pushed into a caller's WHERE clause.
 *
 * \`inside\` is a hashed set of the members, whose number the planner knows exactly (the array).
 * \`outage\` is a hash join on the outages' partial index, not \`IN (subquery)\` as well: a set the
 * planner expects to exceed work_mem is not hashed but scanned once per dependency, and after a few
 * reports on Centric's gateway the dead rows of live_status made it expect 211,000 outages (there were
 * 46,000). Both the what-if and the report on that gateway then ran into the statement timeout.
 */
const MEMBER_DEPENDENCIES = `SELECT d.component_id AS "componentId", d.depends_on_id AS "dependsOnId", d.kind, d.redundancy_group AS "redundancyGroup",
              d.depends_on_id IN (SELECT id FROM members) AS inside, outage.component_id IS NOT NULL AS outage
         FROM members m
        CROSS JOIN LATERAL (SELECT component_id, depends_on_id, kind, redundancy_group FROM dependency
                             WHERE component_id = m.id AND removed_at IS NULL OFFSET 0) d
         LEFT JOIN live_status outage ON outage.component_id = d.depends_on_id AND outage.status NOT IN ('OPERATIONAL', 'UNKNOWN')
       OFFSET 0`;

/** The rows of the members \`m\` given as ids ($1, a uuid[]): component \`c\` and stored picture \`l\`. */
const MEMBERS_BY_ID = `FROM unnest($1::uuid[]) AS m(id) JOIN component c ON c.id = m.id JOIN live_status l ON l.component_id = m.id`;

/** A component above the one a what-if is about: what judging it again needs. */
export interface WhatIfMember {
  /** Its heartbeat and its own newest report, as the status engine reads them. */
  fact: ComponentFact;
  /** Epoch ms (see LiveRow.staleFrom). */
  staleFrom: number | null;
  /** The component itself when it is a service: the what-if's answer names services. */
  service: Component | null;
}

type AboveRow = Omit<ComponentRow, 'created_at' | 'updated_at'> & MemberFactColumns & {
  created_ms: number; updated_ms: number; stale_from_ms: number | null;
};

/** A component above a changed one (or the changed one itself), as a write's transaction judges it again. */
export interface StoredMember {
  /** Its heartbeat and its own newest report as stored, as the status engine reads them. */
  fact: ComponentFact;
  /** Its effective status in the stored picture: what it was before the write being judged. */
  storedStatus: ComponentStatus;
}

/** Epoch milliseconds of a timestamp, exactly as `pg` turns it into a Date (microseconds dropped). */
const epochMs = (column: string) => `(extract(epoch FROM date_trunc('milliseconds', ${column})) * 1000)::float8`;

/** The columns a member's engine fact is made of: its heartbeat and its own newest report as stored. */
interface MemberFactColumns {
  id: string; heartbeat_seconds: number | null; report_id: string | null; report_status: ReportFact['status'] | null;
  report_cause: StatusCause | null; observed_ms: number | null; report_seq: string | null;
}

/** The select list of MemberFactColumns, from \`c\` (component) and \`l\` (live_status). */
const MEMBER_FACT_COLUMNS = `c.id, c.heartbeat_seconds, l.report_id, l.report_status, l.report_cause,
              ${epochMs('l.report_observed_at')} AS observed_ms, l.report_seq`;

function memberFact(row: MemberFactColumns): ComponentFact {
  return {
    id: row.id,
    heartbeatSeconds: row.heartbeat_seconds,
    reports: row.report_id === null ? [] : [{
      id: row.report_id, componentId: row.id, status: row.report_status!, cause: row.report_cause,
      observedAt: new Date(row.observed_ms!), seq: Number(row.report_seq),
    }],
  };
}

/** Rows written per statement: 11 arrays of 10,000 values stay well inside one message. */
const WRITE_CHUNK = 10_000;

export const livePictureRepository = {
  async state(db: EntityManager, lock: 'lock' | 'read' = 'read'): Promise<LivePictureState> {
    const [row]: { changes: string; version: string; latest_ms: number; dependency_changes: string; register_changes: string }[] = await db.query(
      `SELECT changes, version, extract(epoch FROM latest_moment)::float8 * 1000 AS latest_ms, dependency_changes, register_changes
         FROM live_picture_state ${lock === 'lock' ? 'FOR UPDATE' : ''}`,
    );
    return {
      changes: Number(row.changes), version: Number(row.version), latestMoment: Number(row.latest_ms),
      dependencyChanges: Number(row.dependency_changes), registerChanges: Number(row.register_changes),
    };
  },

  /** The newest timestamp in the facts, in ms; -Infinity when there are none. */
  async latestMomentOfFacts(db: EntityManager): Promise<number> {
    const [row]: { latest_ms: number | null }[] = await db.query(
      `SELECT extract(epoch FROM greatest(
                (SELECT max(observed_at) FROM status_report),
                (SELECT max(added_at) FROM dependency),
                (SELECT max(removed_at) FROM dependency)))::float8 * 1000 AS latest_ms`,
    );
    return row.latest_ms === null ? Number.NEGATIVE_INFINITY : Number(row.latest_ms);
  },

  async markCurrent(db: EntityManager, version: number, latestMoment: number): Promise<void> {
    await db.query(
      `UPDATE live_picture_state SET version = $1, latest_moment = to_timestamp($2::float8 / 1000), rebuilt_at = now()`,
      [version, latestMoment],
    );
  },

  async markCurrentKeepingMoment(db: EntityManager, version: number): Promise<void> {
    await db.query(`UPDATE live_picture_state SET version = $1`, [version]);
  },

  // ---- the facts a rebuild judges: everything in force, flat rows --------------------------------

  async allComponents(db: EntityManager): Promise<{ id: string; heartbeat_seconds: number | null }[]> {
    return db.query(`SELECT id, heartbeat_seconds FROM component`);
  },

  async allCurrentEdges(db: EntityManager): Promise<EdgeFact[]> {
    const rows: { c: string; d: string; k: EdgeFact['kind']; g: string | null }[] = await db.query(
      `SELECT component_id AS c, depends_on_id AS d, kind AS k, redundancy_group AS g FROM dependency WHERE removed_at IS NULL`,
    );
    return rows.map((r) => ({ componentId: r.c, dependsOnId: r.d, kind: r.k, redundancyGroup: r.g }));
  },

  async newestReports(db: EntityManager): Promise<ReportFact[]> {
    const rows: { id: string; component_id: string; status: ReportFact['status']; cause: StatusCause | null; observed_at: Date; seq: string }[] = await db.query(
      `SELECT DISTINCT ON (component_id) id, component_id, status, cause, observed_at, seq
         FROM status_report ORDER BY component_id, observed_at DESC, seq DESC`,
    );
    return rows.map((r) => ({ id: r.id, componentId: r.component_id, status: r.status, cause: r.cause, observedAt: r.observed_at, seq: Number(r.seq) }));
  },

  // ---- writing ------------------------------------------------------------------------------------

  async analyse(db: EntityManager): Promise<void> {
    await db.query(`ANALYZE live_status`);
  },

  async deleteAll(db: EntityManager): Promise<void> {
    await db.query(`DELETE FROM live_status`);
  },

  /**
   * Inserts or replaces rows; one statement per 10,000. `change` is the count of changes the write
   * makes current, recorded on the rows it changes (see MarkLiveStatusWrites).
   */
  async write(db: EntityManager, rows: readonly LiveRow[], change: number): Promise<void> {
    for (let start = 0; start < rows.length; start += WRITE_CHUNK) {
      const chunk = rows.slice(start, start + WRITE_CHUNK);
      await db.query(
        `INSERT INTO live_status (component_id, kind, status, cause, root_cause, root_cause_report, stale_from,
                                  report_id, report_status, report_cause, report_observed_at, report_seq, written_at_change)
         SELECT c, k.kind, s, ca, rc::uuid[], rcr, sf, ri, rs, rca, ro, rq, $12::bigint
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::timestamptz[],
                       $7::uuid[], $8::text[], $9::text[], $10::timestamptz[], $11::bigint[])
                AS t(c, s, ca, rc, rcr, sf, ri, rs, rca, ro, rq)
           JOIN component k ON k.id = t.c
         ON CONFLICT (component_id) DO UPDATE SET
           status = excluded.status, cause = excluded.cause, root_cause = excluded.root_cause,
           root_cause_report = excluded.root_cause_report, stale_from = excluded.stale_from,
           report_id = excluded.report_id, report_status = excluded.report_status, report_cause = excluded.report_cause,
           report_observed_at = excluded.report_observed_at, report_seq = excluded.report_seq,
           written_at_change = excluded.written_at_change
         -- A row that says what it said before is left alone: no new row version, no index entries.
         WHERE (live_status.status, live_status.cause, live_status.root_cause, live_status.root_cause_report, live_status.stale_from, live_status.report_id)
               IS DISTINCT FROM (excluded.status, excluded.cause, excluded.root_cause, excluded.root_cause_report, excluded.stale_from, excluded.report_id)`,
        [
          uuidArrayLiteral(chunk.map((r) => r.componentId)),
          chunk.map((r) => r.status),
          chunk.map((r) => r.cause),
          chunk.map((r) => uuidArrayLiteral(r.rootCause)),
          chunk.map((r) => (r.rootCauseReport ? JSON.stringify(storedReport(r.rootCauseReport)) : null)),
          chunk.map((r) => r.staleFrom),
          chunk.map((r) => r.report?.id ?? null),
          chunk.map((r) => r.report?.status ?? null),
          chunk.map((r) => r.report?.cause ?? null),
          chunk.map((r) => r.report?.observedAt ?? null),
          chunk.map((r) => (r.report ? String(r.report.seq) : null)),
          change,
        ],
      );
    }
  },

  // ---- reading --------------------------------------------------------------------------------------

  /**
   * The components whose stored rows writes after count `change` changed; null when there are more
   * than `atMost` (a rebuild rewrites every row).
   */
  async componentsWrittenSince(db: EntityManager, change: number, atMost: number): Promise<string[] | null> {
    const rows: { id: string }[] = await db.query(
      `SELECT component_id AS id FROM live_status WHERE written_at_change > $1 LIMIT $2`, [change, atMost + 1],
    );
    return rows.length > atMost ? null : rows.map((r) => r.id);
  },

  /**
   * What judging `ids` again for a what-if needs of each: the component row, its stored picture and
   * its own newest report (Centric's gateway: 33,000 components above it).
   */
  async whatIfMembers(db: EntityManager, ids: readonly string[]): Promise<WhatIfMember[]> {
    // Times as epoch milliseconds: 33,000 rows of timestamps are the slowest thing to parse here.
    // Each row becomes its engine fact and (for a service) its entity at once, with no copies in
    // between: at a hub's 33,000 rows, every intermediate object is garbage collection to pay for.
    const rows: AboveRow[] = await db.query(
      `SELECT ${MEMBER_FACT_COLUMNS},
              c.kind, c.operator_id, c.name, c.description, c.product_vendor, c.product, c.version, c.internet_facing, c.audience, c.revision,
              ${epochMs('c.created_at')} AS created_ms, ${epochMs('c.updated_at')} AS updated_ms, ${epochMs('l.stale_from')} AS stale_from_ms
         ${MEMBERS_BY_ID}`,
      [uuidArrayLiteral(ids)],
    );
    return rows.map((row) => ({
      fact: memberFact(row),
      staleFrom: row.stale_from_ms,
      service: row.kind === 'SERVICE' ? componentFromColumns(row, new Date(row.created_ms), new Date(row.updated_ms)) : null,
    }));
  },

  /**
   * What the stored picture says of the components a set's dependencies point to outside it: which
   * are in an outage, and their heartbeat deadlines (\`stale_from\`, epoch ms). Read by id, so a
   * report on an application reads a few hundred rows, and the what-if on Centric's gateway the
   * components below its 33,000 dependants.
   */
  async storedOutside(db: EntityManager, ids: readonly string[]): Promise<{ inOutage: Set<string>; deadlines: Map<string, number> }> {
    const inOutage = new Set<string>();
    const deadlines = new Map<string, number>();
    if (ids.length === 0) return { inOutage, deadlines };
    const rows: { id: string; outage: boolean; stale_ms: number | null }[] = await db.query(
      `SELECT component_id AS id, status NOT IN ('OPERATIONAL', 'UNKNOWN') AS outage, ${epochMs('stale_from')} AS stale_ms
         FROM live_status WHERE component_id = ANY($1::uuid[])`,
      [uuidArrayLiteral(ids)],
    );
    for (const row of rows) {
      if (row.outage) inOutage.add(row.id);
      if (row.stale_ms !== null) deadlines.set(row.id, row.stale_ms);
    }
    return { inOutage, deadlines };
  },

  /**
   * A component and everything that depends on it (see \`members\`), with their heartbeats, their
   * own newest reports and their effective statuses as stored.
   */
  async membersToJudge(db: EntityManager, componentId: string): Promise<StoredMember[]> {
    const rows: (MemberFactColumns & { status: ComponentStatus })[] = await db.query(
      `${MEMBERS_ABOVE}
       SELECT ${MEMBER_FACT_COLUMNS}, l.status
         FROM members m JOIN component c ON c.id = m.id JOIN live_status l ON l.component_id = m.id`,
      [componentId],
    );
    return rows.map((row) => ({ fact: memberFact(row), storedStatus: row.status }));
  },

  /** \`membersToJudge\` for members already known (walked in memory). */
  async storedMembers(db: EntityManager, ids: readonly string[]): Promise<StoredMember[]> {
    const rows: (MemberFactColumns & { status: ComponentStatus })[] = await db.query(
      `SELECT ${MEMBER_FACT_COLUMNS}, l.status
         ${MEMBERS_BY_ID}`,
      [uuidArrayLiteral(ids)],
    );
    return rows.map((row) => ({ fact: memberFact(row), storedStatus: row.status }));
  },

  /**
   * The dependencies of \`ids\` that can matter when they are judged again for a write: those between
   * members of \`ids\`, those in a redundancy group, and those to a component outside \`ids\` in an
   * outage (\`outsideOutage\`); a dependency on a component outside that works imposes nothing. And
   * with them, per member, the earliest heartbeat deadline
   * among its dependencies outside \`ids\` (stored \`stale_from\`): a dependency that imposes nothing
   * still says when the member goes stale, and those not read as edges number 200,000 above
   * Centric's gateway. One statement, so each member's dependencies are read from the index once.
   */
  async edgesThatMatterAndOutsideDeadlines(db: EntityManager, ids: readonly string[]): Promise<{
    edges: (EdgeFact & { outsideOutage: boolean })[];
    staleFromOutside: Map<string, number>;
  }> {
    // Two kinds of row: an edge (dependsOnId set), or a member's outside deadline (dependsOnId null).
    const rows: (EdgeFact & { outsideOutage: boolean; staleFromMs: number | null })[] = await db.query(
      `WITH members AS MATERIALIZED (SELECT unnest($1::uuid[]) AS id),
            e AS MATERIALIZED (${MEMBER_DEPENDENCIES})
       SELECT "componentId", "dependsOnId", kind, "redundancyGroup", NOT inside AND outage AS "outsideOutage", NULL::float8 AS "staleFromMs"
         FROM e WHERE inside OR outage OR "redundancyGroup" IS NOT NULL
       UNION ALL
       SELECT e."componentId", NULL, NULL, NULL, NULL, ${epochMs('min(l.stale_from)')}
         FROM e JOIN live_status l ON l.component_id = e."dependsOnId" AND l.stale_from IS NOT NULL
        WHERE NOT e.inside
        GROUP BY e."componentId"`,
      [uuidArrayLiteral(ids)],
    );
    const edges: (EdgeFact & { outsideOutage: boolean })[] = [];
    const staleFromOutside = new Map<string, number>();
    for (const row of rows) {
      if (row.dependsOnId === null) staleFromOutside.set(row.componentId, row.staleFromMs!);
      else edges.push(row);
    }
    return { edges, staleFromOutside };
  },

  /** Stored rows of some components. */
  async rowsOf(db: EntityManager, ids: readonly string[]): Promise<LiveRow[]> {
    if (ids.length === 0) return [];
    const rows: LiveRowRecord[] = await db.query(`SELECT * FROM live_status WHERE component_id = ANY($1::uuid[])`, [uuidArrayLiteral(ids)]);
    return rows.map(toLiveRow);
  },

  /** Components per kind and effective status. */
  async countsByKind(db: EntityManager): Promise<{ kind: string; status: ComponentStatus; count: number }[]> {
    return db.query(`SELECT kind, status, count(*)::int AS count FROM live_status GROUP BY kind, status`);
  },

  /** Gateways per product (vendor, product, version) and effective status. */
  async gatewaysByProduct(db: EntityManager): Promise<{ vendor: string; product: string; version: string | null; status: ComponentStatus; count: number }[]> {
    return db.query(
      `SELECT c.product_vendor AS vendor, c.product, c.version, l.status, count(*)::int AS count
         FROM live_status l JOIN component c ON c.id = l.component_id
        WHERE l.kind = 'GATEWAY' AND c.kind = 'GATEWAY'
        GROUP BY c.product_vendor, c.product, c.version, l.status`,
    );
  },

  /** Municipalities receiving at least one service in an outage (from the outages' partial index). */
  async municipalitiesWithOutage(db: EntityManager): Promise<string[]> {
    const rows: { id: string }[] = await db.query(
      `SELECT DISTINCT sd.municipality_id AS id
         FROM live_status l JOIN service_delivery sd ON sd.service_id = l.component_id
        WHERE l.status NOT IN ('OPERATIONAL', 'UNKNOWN')`,
    );
    return rows.map((r) => r.id);
  },

  /**
   * domain.md's residents affected: the population of every municipality where a service for
   * residents is not OPERATIONAL (UNKNOWN counts: nobody can say it works), each counted once. Per
   * municipality the search stops at the first such service.
   */
  async residentsAffected(db: EntityManager): Promise<number> {
    const [row]: { residents: string }[] = await db.query(
      `SELECT coalesce(sum(m.population), 0) AS residents
         FROM organisation m
        WHERE m.kind = 'MUNICIPALITY' AND EXISTS (
              SELECT 1 FROM service_delivery sd
                JOIN live_status l ON l.component_id = sd.service_id AND l.status <> 'OPERATIONAL'
                JOIN component s ON s.id = sd.service_id AND s.audience = 'RESIDENTS'
               WHERE sd.municipality_id = m.id)`,
    );
    return Number(row.residents);
  },
};

function storedReport(report: ReportFact): StoredReport {
  return [report.id, report.status, report.cause, report.observedAt.toISOString(), report.seq];
}
