import type { EntityManager } from 'typeorm';
import type { IncidentState } from '../incident';
import type { ComponentStatus, StatusCause } from '../../common/vocabulary';
import type { ChangeEvent, MaintenanceAction, StatusChangeEvent } from './change-event';
import { uuidArrayLiteral } from '../../db/uuid-array';
import { epochMs } from '../../db/epoch-ms';
import { chunksOf, runPipelined } from '../../db/pipelined';

/** The PostgreSQL channel every server instance LISTENs on; the payload is the newest position. */
export const EVENTS_CHANNEL = 'ketenbeeld_events';

/**
 * How change events are stored (migrations/1769000000000-OneLivePicture.ts): a write inserts its
 * events and one `change_write` row, without waiting for anyone. As the write commits, a deferred
 * trigger takes the event-order lock, gives the write the positions after those of every write that
 * committed before it, and notifies the listening instances; the lock is released by the commit.
 * So positions become visible in order and without gaps, and a reader that remembers the last
 * position it saw misses none, while writes judge and write side by side.
 */

interface ChangeEventRow {
  seq: string;
  kind: 'STATUS' | 'INCIDENT' | 'MAINTENANCE';
  component_id: string | null;
  municipality_ids: string[];
  status: ComponentStatus | null;
  previous_status: ComponentStatus | null;
  cause: StatusCause | null;
  root_cause: string[];
  since_ms: number | null;
  stale: boolean | null;
  incident_id: string | null;
  incident_update_id: string | null;
  incident_state: IncidentState | null;
  maintenance_id: string | null;
  maintenance_action: MaintenanceAction | null;
  occurred_ms: number;
}

// Lists as JSON and moments as epoch milliseconds: a hub's write brings tens of thousands of events
// to every instance, and JSON.parse and a number are far cheaper per row than array and timestamp text.
const COLUMNS = `w.position_end - w.event_count + e.n AS seq, e.kind, e.component_id, to_json(e.municipality_ids) AS municipality_ids,
                 e.status, e.previous_status, e.cause, to_json(e.root_cause) AS root_cause, ${epochMs('e.since')} AS since_ms, e.stale, e.incident_id,
                 e.incident_update_id, e.incident_state, e.maintenance_id, e.maintenance_action, ${epochMs('w.occurred_at')} AS occurred_ms`;

/** Ordered writes and their events; `w.position_end` is null only for a write not yet committed. */
const ORDERED = `change_write w JOIN change_event e ON e.write_id = w.id`;

function toEvent(row: ChangeEventRow): ChangeEvent {
  const seq = Number(row.seq);
  const occurredAt = new Date(row.occurred_ms);
  if (row.kind === 'INCIDENT') {
    return { kind: 'INCIDENT', seq, incidentId: row.incident_id!, incidentUpdateId: row.incident_update_id, incidentState: row.incident_state!, occurredAt };
  }
  if (row.kind === 'MAINTENANCE') {
    return { kind: 'MAINTENANCE', seq, maintenanceId: row.maintenance_id!, action: row.maintenance_action!, occurredAt };
  }
  return {
    kind: 'STATUS', seq, componentId: row.component_id!, municipalityIds: row.municipality_ids,
    status: row.status!, previousStatus: row.previous_status!, cause: row.cause, rootCause: row.root_cause,
    since: row.since_ms === null ? null : new Date(row.since_ms), stale: row.stale ?? false, occurredAt,
  };
}

export type NewStatusChange = Omit<StatusChangeEvent, 'kind' | 'seq' | 'occurredAt'>;

/** Rows per INSERT: each statement's parameters are built in one turn of the event loop, so a hub's events leave turns for other requests between them. */
const INSERT_CHUNK = 2_000;

/** Which stored events a replay after a `since` cursor needs; absent fields do not narrow. */
export interface ReplayFilter {
  kind: ChangeEvent['kind'];
  componentId?: string | null;
  municipalityId?: string | null;
  incidentId?: string | null;
}

export const changeEventRepository = {
  /** One write's `change_write` row: its events get their positions as it commits. */
  async newWrite(db: EntityManager, eventCount: number): Promise<string> {
    const [row]: { id: string }[] = await db.query(`INSERT INTO change_write (event_count) VALUES ($1) RETURNING id`, [eventCount]);
    return row.id;
  },

  /**
   * The status changes of one write, numbered from `first`, as columns of arrays (a row of
   * parameters each would pass PostgreSQL's 65,535 at 7,000 changes; Centric's gateway going down
   * changes 33,000).
   */
  async insertStatusChanges(db: EntityManager, writeId: string, first: number, changes: readonly NewStatusChange[]): Promise<void> {
    await runPipelined(db, chunksOf(changes, INSERT_CHUNK), (chunk, i) => [
      `INSERT INTO change_event (write_id, n, kind, component_id, municipality_ids, status, previous_status, cause, root_cause, since, stale)
       SELECT $1, $2 + t.i - 1, 'STATUS', c, m::uuid[], s, p, ca, r::uuid[], si, st
         FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::boolean[])
              WITH ORDINALITY AS t(c, m, s, p, ca, r, si, st, i)`,
      [
        writeId, first + i * INSERT_CHUNK,
        uuidArrayLiteral(chunk.map((c) => c.componentId)),
        chunk.map((c) => uuidArrayLiteral(c.municipalityIds)),
        chunk.map((c) => c.status),
        chunk.map((c) => c.previousStatus),
        chunk.map((c) => c.cause),
        chunk.map((c) => uuidArrayLiteral(c.rootCause)),
        chunk.map((c) => c.since),
        chunk.map((c) => c.stale),
      ],
    ]);
  },

  /** The incident's state is read in the same statement, so the event says what the write left behind. */
  async insertIncidentChange(db: EntityManager, writeId: string, n: number, incidentId: string, incidentUpdateId: string | null): Promise<boolean> {
    const inserted: unknown[] = await db.query(
      `INSERT INTO change_event (write_id, n, kind, incident_id, incident_update_id, incident_state)
       SELECT $1, $2, 'INCIDENT', i.id, $4::uuid, i.state FROM incident i WHERE i.id = $3
       RETURNING n`,
      [writeId, n, incidentId, incidentUpdateId],
    );
    return inserted.length === 1;
  },

  /** What happened to maintenance windows, numbered from `first`. */
  async insertMaintenanceChanges(db: EntityManager, writeId: string, first: number, changes: readonly { maintenanceId: string; action: MaintenanceAction }[]): Promise<void> {
    await db.query(
      `INSERT INTO change_event (write_id, n, kind, maintenance_id, maintenance_action)
       SELECT $1, $2 + t.i - 1, 'MAINTENANCE', m, a FROM unnest($3::uuid[], $4::text[]) WITH ORDINALITY AS t(m, a, i)`,
      [writeId, first, uuidArrayLiteral(changes.map((c) => c.maintenanceId)), changes.map((c) => c.action)],
    );
  },

  /** The newest position given out, or where pruning left off: where a starting instance begins. */
  async lastSeq(db: EntityManager): Promise<number> {
    const [row]: { seq: string }[] = await db.query(
      `SELECT coalesce((SELECT max(position_end) FROM change_write), (SELECT pruned_through FROM change_event_horizon)) AS seq`,
    );
    return Number(row.seq);
  },

  /**
   * The events at positions `seq` + 1 to `seq` + `limit`, oldest first: the one query an instance
   * makes per notification. Positions have no gaps, so a page is a range of positions, and each
   * write's part of it a range of its `n`: a page reads what it returns, however large the write.
   */
  async after(db: EntityManager, seq: number, limit: number): Promise<ChangeEvent[]> {
    const rows: ChangeEventRow[] = await db.query(
      `SELECT ${COLUMNS} FROM ${ORDERED}
        WHERE w.position_end > $1 AND w.position_end - w.event_count < $1 + $2
          AND e.n > $1 - (w.position_end - w.event_count) AND e.n <= $1 + $2 - (w.position_end - w.event_count)
        ORDER BY w.position_end, e.n`,
      [seq, limit],
    );
    return rows.map(toEvent);
  },

  /** Every event up to this position has been pruned (0: none). */
  async prunedThrough(db: EntityManager): Promise<number> {
    const [row]: { pruned_through: string }[] = await db.query(`SELECT pruned_through FROM change_event_horizon`);
    return Number(row.pruned_through);
  },

  /**
   * Prunes the oldest writes' events, at most `batch` writes: of the `batch` first by position,
   * those up to the newest that occurred before `before`, so what is left always starts right after
   * the horizon. Returns how many events were pruned. One transaction per batch.
   */
  async pruneOldest(db: EntityManager, before: Date, batch: number): Promise<number> {
    return db.transaction(async (tx) => {
      const [{ through }]: { through: string | null }[] = await tx.query(
        `SELECT max(position_end) AS through
           FROM (SELECT position_end, occurred_at FROM change_write WHERE position_end IS NOT NULL ORDER BY position_end LIMIT $2) oldest
          WHERE occurred_at < $1`,
        [before, batch],
      );
      if (through === null) return 0;
      const [{ pruned }]: { pruned: number }[] = await tx.query(
        `WITH pruned AS (DELETE FROM change_write WHERE position_end <= $1 RETURNING event_count) SELECT coalesce(sum(event_count), 0)::int AS pruned FROM pruned`,
        [through],
      );
      await tx.query(`UPDATE change_event_horizon SET pruned_through = greatest(pruned_through, $1)`, [through]);
      return pruned;
    });
  },

  /** What one subscriber missed after its `since` cursor, oldest first. */
  async replay(db: EntityManager, seq: number, filter: ReplayFilter, limit: number): Promise<ChangeEvent[]> {
    const rows: ChangeEventRow[] = await db.query(
      `SELECT ${COLUMNS} FROM ${ORDERED}
        WHERE w.position_end > $1 AND e.n > $1 - (w.position_end - w.event_count) AND e.kind = $2
          AND ($3::uuid IS NULL OR e.component_id = $3)
          AND ($4::uuid IS NULL OR e.municipality_ids @> ARRAY[$4::uuid])
          AND ($5::uuid IS NULL OR e.incident_id = $5)
        ORDER BY w.position_end, e.n
        LIMIT $6`,
      [seq, filter.kind, filter.componentId ?? null, filter.municipalityId ?? null, filter.incidentId ?? null, limit],
    );
    return rows.map(toEvent);
  },
};
