import type { EntityManager } from 'typeorm';
import type { Audience, ComponentKind, ComponentStatus, DependencyKind, ReportedStatus, StatusCause } from '../../common/vocabulary';
import { queryNamed } from '../../db/named-statements';
import { uuidArrayLiteral } from '../../db/uuid-array';
import { epochMs } from '../../db/epoch-ms';
import { chunksOf, PartsAsTheyCome, partsAsTheyCome, runPipelined } from '../../db/pipelined';
import { entityColumns } from '../../db/entity-columns';
import type { Component } from '../component';
import type { HeartbeatFact, MaintenanceFact, ReportFact } from './status.engine';

/**
 * `live_status`: the stored picture, one row per component that is not retired. Only the picture
 * keeper (picture.keeper.ts) writes it. A row holds
 * - what a reader of *now* needs: status, cause, since, root cause, staleness, and two judgements
 *   SQL counts (`outage`, `residents_affected`), made by the rules in status.rules.ts;
 * - what a write needs to judge the row again without reading the rest of the country: the
 *   component's own newest report and heartbeat promise, who depends on it (`dependants`), and the
 *   dependencies that can impose something on it (`contributions`: those in an outage, stale, or in
 *   a redundancy group, each with what it is). A dependency that is fine and fresh cannot change
 *   anything, so it is left out; when it changes, its dependants are judged again and take it in.
 * - `last_fact_at`: the newest moment of any fact that reached this component's status. A write
 *   dated after it changes `since` to its own moment or not at all; one dated before it replays
 *   the history instead.
 */

/** A dependency that can impose something on the component whose row holds it. */
export interface Contribution {
  dependsOnId: string;
  kind: DependencyKind;
  redundancyGroup: string | null;
  status: ComponentStatus;
  rootCause: string[];
  rootCauseReportId: string | null;
  rootCauseMaintenanceId: string | null;
  stale: boolean;
}

/** An edge into the component whose row holds it: `componentId` depends on it. */
export interface DependantEdge {
  componentId: string;
  kind: DependencyKind;
  redundancyGroup: string | null;
}

/**
 * What judging a row again needs (`judge` in picture.keeper.ts), and walking up from it: its own
 * facts, the dependencies that can impose something on it, who depends on it, and whether it is
 * stale. A what-if reads only this (ROWS_TO_JUDGE); a write reads whole rows (WHOLE_ROWS).
 */
export interface RowToJudge {
  componentId: string;
  kind: ComponentKind;
  report: ReportFact | null;
  heartbeat: HeartbeatFact | null;
  /** Its announced maintenance windows that are not over. */
  maintenance: MaintenanceFact[];
  stale: boolean;
  contributions: Contribution[];
  dependants: DependantEdge[];
}

export interface PictureRow extends RowToJudge {
  revision: number;
  audience: Audience | null;
  /** When the next of its maintenance windows begins or ends (epoch ms): the picture's clock takes it in then. */
  nextMaintenanceAt: number | null;
  status: ComponentStatus;
  cause: StatusCause | null;
  rootCause: string[];
  rootCauseReportId: string | null;
  rootCauseMaintenanceId: string | null;
  since: number | null;
  ownStaleFrom: number | null;
  ownStale: boolean;
  outage: boolean;
  residentsAffected: boolean;
  lastFactAt: number;
}

type StoredContribution = [string, DependencyKind, string | null, ComponentStatus, string[], string | null, boolean, string | null];
type StoredDependant = [string, DependencyKind, string | null];

interface RecordToJudge {
  component_id: string; kind: ComponentKind;
  report_id: string | null; report_status: ReportedStatus | null; report_cause: StatusCause | null; report_observed_ms: number | null; report_seq: string | null;
  heartbeat_seconds: number | null; heartbeat_from_ms: number | null; maintenance: [string, number, number][]; stale: boolean;
  contributions: StoredContribution[]; dependants: StoredDependant[];
}

interface Record extends RecordToJudge {
  revision: string; audience: Audience | null; next_maintenance_ms: number | null;
  status: ComponentStatus; cause: StatusCause | null; root_cause: string[]; root_cause_report_id: string | null; root_cause_maintenance_id: string | null;
  since_ms: number | null; own_stale_from_ms: number | null; own_stale: boolean;
  outage: boolean; residents_affected: boolean; last_fact_ms: number;
}

const COLUMNS_TO_JUDGE = `component_id, kind,
  report_id, report_status, report_cause, ${epochMs('report_observed_at')} AS report_observed_ms, report_seq,
  heartbeat_seconds, ${epochMs('heartbeat_from')} AS heartbeat_from_ms, maintenance, stale, contributions, dependants`;

const COLUMNS = `${COLUMNS_TO_JUDGE}, revision, audience, ${epochMs('next_maintenance_at')} AS next_maintenance_ms,
  status, cause, to_json(root_cause) AS root_cause, root_cause_report_id, root_cause_maintenance_id, ${epochMs('since')} AS since_ms,
  ${epochMs('own_stale_from')} AS own_stale_from_ms, own_stale, outage, residents_affected, ${epochMs('last_fact_at')} AS last_fact_ms`;

// The row's parts, each read one way whichever shape is read.
const reportOf = (r: RecordToJudge): ReportFact | null => (r.report_id === null ? null : {
  id: r.report_id, componentId: r.component_id, status: r.report_status!, cause: r.report_cause,
  observedAt: new Date(r.report_observed_ms!), seq: Number(r.report_seq),
});
const heartbeatOf = (r: RecordToJudge): HeartbeatFact | null => (r.heartbeat_from_ms === null ? null : { seconds: r.heartbeat_seconds, from: r.heartbeat_from_ms });
const maintenanceOf = (r: RecordToJudge): MaintenanceFact[] => r.maintenance.map(([id, from, until]) => ({ id, from, until }));
const contributionsOf = (r: RecordToJudge): Contribution[] =>
  r.contributions.map(([dependsOnId, kind, redundancyGroup, status, rootCause, rootCauseReportId, stale, rootCauseMaintenanceId]) => ({
    dependsOnId, kind, redundancyGroup, status, rootCause, rootCauseReportId, rootCauseMaintenanceId: rootCauseMaintenanceId ?? null, stale,
  }));
const dependantsOf = (r: RecordToJudge): DependantEdge[] => r.dependants.map(([componentId, kind, redundancyGroup]) => ({ componentId, kind, redundancyGroup }));

function toRowToJudge(r: RecordToJudge): RowToJudge {
  return {
    componentId: r.component_id, kind: r.kind, report: reportOf(r), heartbeat: heartbeatOf(r), maintenance: maintenanceOf(r),
    stale: r.stale, contributions: contributionsOf(r), dependants: dependantsOf(r),
  };
}

/**
 * A whole row, built as one object literal (not by spreading a RowToJudge: an object grown from a
 * spread keeps most of its fields outside the object, and a write above a hub reads, copies and
 * compares tens of thousands of these).
 */
function toRow(r: Record): PictureRow {
  return {
    componentId: r.component_id,
    revision: Number(r.revision),
    kind: r.kind,
    audience: r.audience,
    report: reportOf(r),
    heartbeat: heartbeatOf(r),
    maintenance: maintenanceOf(r),
    nextMaintenanceAt: r.next_maintenance_ms,
    status: r.status,
    cause: r.cause,
    rootCause: r.root_cause,
    rootCauseReportId: r.root_cause_report_id,
    rootCauseMaintenanceId: r.root_cause_maintenance_id,
    since: r.since_ms,
    stale: r.stale,
    ownStaleFrom: r.own_stale_from_ms,
    ownStale: r.own_stale,
    outage: r.outage,
    residentsAffected: r.residents_affected,
    lastFactAt: r.last_fact_ms,
    contributions: contributionsOf(r),
    dependants: dependantsOf(r),
  };
}

/** Which columns of a row are read, and what becomes of them: whole rows, or only what judging them needs. */
export interface RowShape<R extends RowToJudge> {
  statement: string;
  /** Takes a record of `statement` (each shape reads its own record type, hence `never` here). */
  toRow(record: never): R;
}

export const WHOLE_ROWS: RowShape<PictureRow> = {
  statement: `SELECT ${COLUMNS} FROM live_status WHERE component_id = ANY($1::uuid[])`,
  toRow: (record: Record) => toRow(record),
};

export const ROWS_TO_JUDGE: RowShape<RowToJudge> = {
  statement: `SELECT ${COLUMNS_TO_JUDGE} FROM live_status WHERE component_id = ANY($1::uuid[])`,
  toRow: (record: RecordToJudge) => toRowToJudge(record),
};

const timestamp = (value: number | null) => (value === null ? null : value === Number.NEGATIVE_INFINITY ? '-infinity' : new Date(value).toISOString());

/**
 * Rows per statement when many are written: the statement's parameters are built in one turn of the
 * event loop, so a write above a hub lets other requests run between its statements.
 */
const WRITE_CHUNK = 500;

/** Rows per statement when many are read. */
const READ_CHUNK = 2_000;

/**
 * Rows travel to PostgreSQL as one JSON array per statement (jsonb_to_recordset), each row an object
 * with the short field names below (plus `c`, the component, and `r`, the revision read): JSON.stringify
 * is one native call, where an array parameter per column is escaped element by element by `pg`, and
 * the stored lists go in as JSON, not as text inside text. Moments travel as timestamp text
 * ('-infinity' included). Each table: column, field in the JSON record, type.
 */
type Mapping = readonly [column: string, field: string, type: string][];

/** The row's own facts and who depends on it (ownRecord): a judgement leaves them as they are. */
const OWN: Mapping = [
  ['kind', 'k', 'text'], ['audience', 'a', 'text'], ['report_id', 'ri', 'uuid'], ['report_status', 'rs', 'text'],
  ['report_cause', 'rc', 'text'], ['report_observed_at', 'ro', 'timestamptz'], ['report_seq', 'rq', 'bigint'],
  ['heartbeat_seconds', 'hs', 'int'], ['heartbeat_from', 'hf', 'timestamptz'], ['dependants', 'de', 'jsonb'],
];

/** What a judgement writes (judgedRecord). */
const JUDGED: Mapping = [
  ['status', 's', 'text'], ['cause', 'ca', 'text'], ['root_cause', 'rt', 'uuid[]'], ['root_cause_report_id', 'rr', 'uuid'],
  ['root_cause_maintenance_id', 'rm', 'uuid'], ['since', 'si', 'timestamptz'], ['stale', 'st', 'boolean'],
  ['own_stale_from', 'os', 'timestamptz'], ['own_stale', 'ost', 'boolean'], ['outage', 'o', 'boolean'],
  ['residents_affected', 'ra', 'boolean'], ['last_fact_at', 'lf', 'timestamptz'], ['contributions', 'co', 'jsonb'],
  ['maintenance', 'mw', 'jsonb'], ['next_maintenance_at', 'nm', 'timestamptz'],
];

const columnsOf = (mapping: Mapping) => mapping.map(([column]) => column).join(', ');
const fieldsOf = (mapping: Mapping) => mapping.map(([, field]) => field).join(', ');
const recordOf = (mapping: Mapping) => mapping.map(([, field, type]) => `${field} ${type}`).join(', ');
const setFromExcluded = (mapping: Mapping) => mapping.map(([column]) => `${column} = EXCLUDED.${column}`).join(', ');
const setFromRecord = (mapping: Mapping) => mapping.map(([column, field]) => `${column} = t.${field}`).join(', ');

/** Inserts or replaces whole rows (`write`). */
const WRITE_WHOLE = `INSERT INTO live_status (component_id, revision, ${columnsOf(OWN)}, ${columnsOf(JUDGED)})
  SELECT c, r + 1, ${fieldsOf(OWN)}, ${fieldsOf(JUDGED)}
    FROM jsonb_to_recordset($1::jsonb) AS t(c uuid, r bigint, ${recordOf(OWN)}, ${recordOf(JUDGED)})
  ON CONFLICT (component_id) DO UPDATE SET revision = EXCLUDED.revision, ${setFromExcluded(OWN)}, ${setFromExcluded(JUDGED)}`;

/** Writes what a judgement changes of rows that exist (`writeJudgements`). */
const WRITE_JUDGED = `UPDATE live_status SET revision = t.r + 1, ${setFromRecord(JUDGED)}
    FROM jsonb_to_recordset($1::jsonb) AS t(c uuid, r bigint, ${recordOf(JUDGED)})
   WHERE live_status.component_id = t.c`;

function ownRecord(row: PictureRow) {
  return {
    k: row.kind, a: row.audience,
    ri: row.report?.id ?? null, rs: row.report?.status ?? null, rc: row.report?.cause ?? null,
    ro: row.report ? row.report.observedAt.toISOString() : null, rq: row.report?.seq ?? null,
    hs: row.heartbeat?.seconds ?? null, hf: timestamp(row.heartbeat?.from ?? null),
    de: row.dependants.map((d): StoredDependant => [d.componentId, d.kind, d.redundancyGroup]),
  };
}

function judgedRecord(row: PictureRow) {
  return {
    s: row.status, ca: row.cause, rt: row.rootCause, rr: row.rootCauseReportId, rm: row.rootCauseMaintenanceId,
    si: timestamp(row.since), st: row.stale, os: timestamp(row.ownStaleFrom), ost: row.ownStale, o: row.outage,
    ra: row.residentsAffected, lf: timestamp(row.lastFactAt),
    co: row.contributions.map((c): StoredContribution => [c.dependsOnId, c.kind, c.redundancyGroup, c.status, c.rootCause, c.rootCauseReportId, c.stale, c.rootCauseMaintenanceId]),
    mw: row.maintenance.map((w) => [w.id, w.from, w.until]),
    nm: timestamp(row.nextMaintenanceAt),
  };
}

export const pictureRepository = {
  /** The rows of `ids`, READ_CHUNK per statement: the rows above a hub are read a part at a time, with turns for other requests between the parts. */
  async rows(db: EntityManager, ids: readonly string[]): Promise<PictureRow[]> {
    const rows: PictureRow[] = [];
    await runPipelined(db, chunksOf(ids, READ_CHUNK), (part) => [WHOLE_ROWS.statement, [uuidArrayLiteral(part)]], (records) => {
      for (const record of records as Record[]) rows.push(toRow(record));
    });
    return rows;
  },

  /**
   * Reads the rows of `ids`, hands each to `follow`, and reads the rows of the ids it returns too,
   * until it returns none (`follow` returns each id once). READ_CHUNK ids per statement, one
   * statement at a time on the connection: while the rows of one are handed over, the next is
   * already under way whenever ids are waiting, so a walk up from a hub does not pause PostgreSQL
   * at the end of each of its levels.
   */
  async readFollowing<R extends RowToJudge>(
    db: EntityManager, ids: readonly string[], shape: RowShape<R>, follow: (row: R) => Promise<readonly string[]>,
  ): Promise<void> {
    const waiting = [...ids];
    let running: Promise<never[]> | null = null;
    const sendNext = () => {
      const part = waiting.splice(0, READ_CHUNK);
      running = db.query(shape.statement, [uuidArrayLiteral(part)]) as Promise<never[]>;
      // Awaited below; should handing over the rows before it fail first, its own failure must not count as unhandled.
      running.catch(() => undefined);
    };
    if (waiting.length > 0) sendNext();
    while (running !== null) {
      const records: never[] = await running;
      running = null;
      if (waiting.length > 0) sendNext();
      for (const record of records) waiting.push(...(await follow(shape.toRow(record))));
      if (running === null && waiting.length > 0) sendNext();
    }
  },

  /**
   * Locks the rows read (`read`, each with the revision it was read at) for this transaction, in the
   * order of their ids (two writes locking overlapping sets cannot deadlock on them), and returns
   * those that differ from what was read: their revision now, or null for a row that is gone. Only
   * the differences travel back: above a hub, tens of thousands of rows are locked at once.
   */
  async lock(db: EntityManager, read: readonly { componentId: string; revision: number }[]): Promise<Map<string, number | null>> {
    if (read.length === 0) return new Map();
    const records: { component_id: string; revision: string | null }[] = await db.query(
      `WITH locked AS MATERIALIZED (
         SELECT component_id, revision FROM live_status WHERE component_id = ANY($1::uuid[]) ORDER BY component_id FOR UPDATE
       )
       SELECT r.id AS component_id, l.revision
         FROM unnest($1::uuid[], $2::bigint[]) AS r(id, revision)
         LEFT JOIN locked l ON l.component_id = r.id
        WHERE l.revision IS DISTINCT FROM r.revision`,
      [uuidArrayLiteral(read.map((row) => row.componentId)), `{${read.map((row) => row.revision).join(',')}}`],
    );
    return new Map(records.map((r) => [r.component_id, r.revision === null ? null : Number(r.revision)]));
  },

  /** Inserts or replaces whole rows, each with its revision one higher than the one given. */
  async write(db: EntityManager, rows: readonly PictureRow[]): Promise<void> {
    await runPipelined(db, chunksOf(rows, WRITE_CHUNK), (part) => [
      WRITE_WHOLE,
      [JSON.stringify(part.map((row) => ({ c: row.componentId, r: row.revision, ...ownRecord(row), ...judgedRecord(row) })))],
    ]);
  },

  /**
   * Writes what a judgement changes of rows that exist (status, since, root cause, staleness,
   * contributions, maintenance still to come), each with its revision one higher than the one given;
   * their own facts and dependants stay as stored. For the rows above a write's roots, whose own
   * facts the write did not touch: a hub's dependants are tens of thousands of rows.
   */
  async writeJudgements(db: EntityManager, rows: readonly PictureRow[]): Promise<void> {
    const judgements = pictureRepository.judgementsAsTheyCome(db);
    for (const row of rows) await judgements.add(row);
    await judgements.finish();
  },

  /**
   * Writes judgements as writeJudgements does, a part at a time as the rows are handed over (see
   * partsAsTheyCome): a write above a hub stores the rows judged so far while it judges the rest.
   */
  judgementsAsTheyCome(db: EntityManager): PartsAsTheyCome<PictureRow> {
    return partsAsTheyCome<PictureRow>(db, WRITE_CHUNK, (part) => [
      WRITE_JUDGED,
      [JSON.stringify(part.map((row) => ({ c: row.componentId, r: row.revision, ...judgedRecord(row) })))],
    ]);
  },

  async remove(db: EntityManager, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await db.query(`DELETE FROM live_status WHERE component_id = ANY($1::uuid[])`, [uuidArrayLiteral(ids)]);
  },

  async removeAll(db: EntityManager): Promise<void> {
    await db.query(`DELETE FROM live_status`);
  },

  async markBuilt(db: EntityManager, components: number): Promise<void> {
    await db.query(
      `INSERT INTO picture_build (built_at, components) VALUES (now(), $1)
       ON CONFLICT (only_row) DO UPDATE SET built_at = EXCLUDED.built_at, components = EXCLUDED.components`,
      [components],
    );
  },

  async built(db: EntityManager): Promise<boolean> {
    const rows: unknown[] = await db.query(`SELECT 1 FROM picture_build`);
    return rows.length === 1;
  },

  /** Every row was just replaced: fresh statistics keep the national counts' plans right. */
  async analyse(db: EntityManager): Promise<void> {
    await db.query(`ANALYZE live_status`);
  },

  /**
   * The earliest moment, at or before `now`, at which time alone changes a stored row: one of its
   * maintenance windows begins or ends, or its own heartbeat runs out (the millisecond after the
   * deadline: until then it is not silent for longer than promised). Null when nothing is due.
   */
  async nextDue(db: EntityManager, now: Date): Promise<{ componentId: string; due: number; kind: 'MAINTENANCE' | 'HEARTBEAT' } | null> {
    const [row]: { component_id: string; due_ms: number; kind: 'MAINTENANCE' | 'HEARTBEAT' }[] = await db.query(
      `SELECT * FROM (
         (SELECT component_id, ${epochMs('next_maintenance_at')} AS due_ms, 'MAINTENANCE' AS kind FROM live_status
           WHERE next_maintenance_at IS NOT NULL AND next_maintenance_at <= $1 ORDER BY next_maintenance_at LIMIT 1)
         UNION ALL
         (SELECT component_id, ${epochMs('own_stale_from')} + 1 AS due_ms, 'HEARTBEAT' AS kind FROM live_status
           WHERE own_stale_from IS NOT NULL AND NOT own_stale AND own_stale_from < $1 ORDER BY own_stale_from LIMIT 1)
       ) due ORDER BY due_ms, kind DESC LIMIT 1`,
      [now],
    );
    return row ? { componentId: row.component_id, due: row.due_ms, kind: row.kind } : null;
  },
};

/** What a reader of *now* needs of a stored row. */
export interface StoredStatus {
  componentId: string;
  status: ComponentStatus;
  cause: StatusCause | null;
  rootCause: string[];
  rootCauseReportId: string | null;
  rootCauseMaintenanceId: string | null;
  since: Date | null;
  stale: boolean;
  ownStaleFrom: Date | null;
}

/** The columns a reader of *now* needs, moments as epoch milliseconds and the path as JSON: no text to parse per row. */
const READER_COLUMNS = `l.component_id, l.status, l.cause, to_json(l.root_cause) AS root_cause, l.root_cause_report_id,
  l.root_cause_maintenance_id, ${epochMs('l.since')} AS since_ms, l.stale, ${epochMs('l.own_stale_from')} AS own_stale_from_ms`;

interface ReaderRecord {
  component_id: string; status: ComponentStatus; cause: StatusCause | null; root_cause: string[]; root_cause_report_id: string | null;
  root_cause_maintenance_id: string | null; since_ms: number | null; stale: boolean; own_stale_from_ms: number | null;
}

function toStoredStatus(r: ReaderRecord): StoredStatus {
  return {
    componentId: r.component_id,
    status: r.status,
    cause: r.cause,
    rootCause: r.root_cause,
    rootCauseReportId: r.root_cause_report_id,
    rootCauseMaintenanceId: r.root_cause_maintenance_id,
    since: r.since_ms === null ? null : new Date(r.since_ms),
    stale: r.stale,
    ownStaleFrom: r.own_stale_from_ms === null ? null : new Date(r.own_stale_from_ms),
  };
}

/** A component's stored status and its own newest report (null: never reported). */
export type StoredStatusAndReport = StoredStatus & { newestReportId: string | null };

/** A service delivered to a municipality now: its stored status and its component row. */
export type ServiceNow = StoredStatus & { municipalityId: string; service: Component };

/** What a reader of *now* reads of a row the keeper holds. */
export function storedStatusOfRow(row: PictureRow): StoredStatusAndReport {
  return {
    componentId: row.componentId,
    status: row.status,
    cause: row.cause,
    rootCause: row.rootCause,
    rootCauseReportId: row.rootCauseReportId,
    rootCauseMaintenanceId: row.rootCauseMaintenanceId,
    since: row.since === null ? null : new Date(row.since),
    stale: row.stale,
    ownStaleFrom: row.ownStaleFrom === null ? null : new Date(row.ownStaleFrom),
    newestReportId: row.report?.id ?? null,
  };
}

/** The readers of *now*: lookups in the stored picture. */
export const storedPictureRepository = {
  async statuses(db: EntityManager, ids: readonly string[]): Promise<StoredStatus[]> {
    const records: ReaderRecord[] = await db.query(`SELECT ${READER_COLUMNS} FROM live_status l WHERE l.component_id = ANY($1::uuid[])`, [uuidArrayLiteral(ids)]);
    return records.map(toStoredStatus);
  },

  /** One component's stored status and its own newest report (by observation, then arrival), as the row holds it. */
  async statusAndNewestReport(db: EntityManager, id: string): Promise<StoredStatusAndReport | null> {
    const [record]: (ReaderRecord & { report_id: string | null })[] = await db.query(
      `SELECT ${READER_COLUMNS}, l.report_id FROM live_status l WHERE l.component_id = $1`, [id]);
    return record ? { ...toStoredStatus(record), newestReportId: record.report_id } : null;
  },

  /** The services delivered to each municipality now, with their stored status and their rows, by service name. */
  async servicesOfMunicipalities(db: EntityManager, municipalityIds: readonly string[]): Promise<ServiceNow[]> {
    // The component module's entity, by name: that module imports this one.
    const service = entityColumns<Component>(db, 'Component', 'c', 'service_');
    const records = await queryNamed<ReaderRecord & { municipality_id: string } & { [column: string]: unknown }>(
      db, 'ketenbeeld_services_now',
      `SELECT sd.municipality_id, ${READER_COLUMNS}, ${service.list}
         FROM service_delivery sd
         JOIN component c ON c.id = sd.service_id
         JOIN live_status l ON l.component_id = sd.service_id
        WHERE sd.municipality_id = ANY($1::uuid[]) AND sd.delivered_until IS NULL
        ORDER BY sd.municipality_id, c.name, c.id`,
      [uuidArrayLiteral(municipalityIds)],
    );
    return records.map((r) => ({ ...toStoredStatus(r), municipalityId: r.municipality_id, service: service.read(r) }));
  },

  async countsByKind(db: EntityManager): Promise<{ kind: ComponentKind; status: ComponentStatus; count: number }[]> {
    return db.query(`SELECT kind, status, count(*)::int AS count FROM live_status GROUP BY kind, status`);
  },

  async gatewaysByProduct(db: EntityManager): Promise<{ vendor: string; product: string; version: string | null; status: ComponentStatus; count: number }[]> {
    return db.query(
      `SELECT c.product_vendor AS vendor, c.product, c.version, l.status, count(*)::int AS count
         FROM live_status l JOIN component c ON c.id = l.component_id
        WHERE l.kind = 'GATEWAY'
        GROUP BY c.product_vendor, c.product, c.version, l.status`,
    );
  },

  /** Municipalities with a service delivered now that the engine judged an outage. */
  async municipalitiesWithOutage(db: EntityManager): Promise<string[]> {
    const rows: { id: string }[] = await db.query(
      `SELECT DISTINCT sd.municipality_id AS id
         FROM live_status l JOIN service_delivery sd ON sd.service_id = l.component_id AND sd.delivered_until IS NULL
        WHERE l.outage`,
    );
    return rows.map((row) => row.id);
  },

  /** The population of the municipalities with a service delivered now that the engine judged to affect residents. */
  async residentsAffected(db: EntityManager): Promise<number> {
    const [row]: { total: string | null }[] = await db.query(
      `SELECT sum(m.population) AS total FROM organisation m
        WHERE EXISTS (SELECT 1 FROM service_delivery sd JOIN live_status l ON l.component_id = sd.service_id
                       WHERE sd.municipality_id = m.id AND sd.delivered_until IS NULL AND l.residents_affected)`,
    );
    return Number(row.total ?? 0);
  },
};
