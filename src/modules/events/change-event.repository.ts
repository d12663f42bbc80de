import type { EntityManager } from 'typeorm';
import type { IncidentState } from '../incident';
import type { ComponentStatus, StatusCause } from '../status';
import type { ChangeEvent, StatusChangeEvent } from './change-event';
import { uuidArrayLiteral } from '../../db/uuid-array';

/** The PostgreSQL channel every server instance LISTENs on; the payload is the newest `seq`. */
export const EVENTS_CHANNEL = 'ketenbeeld_events';

/**
 * The key of the advisory lock every writer of change events holds until its commit. `seq` is taken
 * at INSERT but becomes visible at COMMIT; without the lock, a transaction holding seq 7 could commit
 * after one holding seq 8, and a reader that had already moved past 8 would never see 7. With it,
 * rows become visible in `seq` order. It also serialises the before/after comparison of concurrent
 * reports, so two reports racing on one component cannot both claim the same change.
 */
const EVENT_ORDER_LOCK = 7_326_001;

interface ChangeEventRow {
  seq: string;
  kind: 'STATUS' | 'INCIDENT';
  component_id: string | null;
  municipality_ids: string[];
  status: ComponentStatus | null;
  previous_status: ComponentStatus | null;
  cause: StatusCause | null;
  root_cause: string[];
  since: Date | null;
  incident_id: string | null;
  incident_update_id: string | null;
  incident_state: IncidentState | null;
  occurred_at: Date;
}

// uuid[] cast to text[] so that pg hands back plain string arrays whatever its type parsers say.
const COLUMNS = `seq, kind, component_id, municipality_ids::text[] AS municipality_ids, status, previous_status, cause,
                 root_cause::text[] AS root_cause, since, incident_id, incident_update_id, incident_state, occurred_at`;

function toEvent(row: ChangeEventRow): ChangeEvent {
  const seq = Number(row.seq);
  if (row.kind === 'INCIDENT') {
    return { kind: 'INCIDENT', seq, incidentId: row.incident_id!, incidentUpdateId: row.incident_update_id, incidentState: row.incident_state!, occurredAt: row.occurred_at };
  }
  return {
    kind: 'STATUS', seq, componentId: row.component_id!, municipalityIds: row.municipality_ids,
    status: row.status!, previousStatus: row.previous_status!, cause: row.cause, rootCause: row.root_cause,
    since: row.since, occurredAt: row.occurred_at,
  };
}

export type NewStatusChange = Omit<StatusChangeEvent, 'kind' | 'seq' | 'occurredAt'>;

/** Rows per INSERT: seven arrays of 10,000 values stay well inside one message. */
const INSERT_CHUNK = 10_000;

/** Which stored events a replay after a `since` cursor needs; absent fields do not narrow. */
export interface ReplayFilter {
  kind: ChangeEvent['kind'];
  componentId?: string | null;
  municipalityId?: string | null;
  incidentId?: string | null;
}

export const changeEventRepository = {
  /** Held until the transaction ends (see EVENT_ORDER_LOCK). */
  async lockEventOrder(db: EntityManager): Promise<void> {
    await db.query('SELECT pg_advisory_xact_lock($1)', [EVENT_ORDER_LOCK]);
  },

  /** Delivered to every listening instance when the transaction commits; dropped on rollback. */
  async notify(db: EntityManager, seq: number): Promise<void> {
    await db.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, String(seq)]);
  },

  /**
   * All the changes one write caused, in their order, as columns of arrays (seven parameters per
   * statement, whatever the number of rows: a row of parameters each would pass PostgreSQL's 65,535
   * at 9,363 changes, and Centric's gateway going down changes 33,000). Returns the highest `seq`.
   */
  async insertStatusChanges(db: EntityManager, changes: readonly NewStatusChange[]): Promise<number> {
    let last = 0;
    for (let start = 0; start < changes.length; start += INSERT_CHUNK) {
      const chunk = changes.slice(start, start + INSERT_CHUNK);
      const inserted: { seq: string }[] = await db.query(
        `WITH inserted AS (
           INSERT INTO change_event (kind, component_id, municipality_ids, status, previous_status, cause, root_cause, since)
           SELECT 'STATUS', c, m::uuid[], s, p, ca, r::uuid[], si
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
                  WITH ORDINALITY AS t(c, m, s, p, ca, r, si, n)
            ORDER BY n
           RETURNING seq)
         SELECT max(seq) AS seq FROM inserted`,
        [
          chunk.map((c) => c.componentId),
          chunk.map((c) => uuidArrayLiteral(c.municipalityIds)),
          chunk.map((c) => c.status),
          chunk.map((c) => c.previousStatus),
          chunk.map((c) => c.cause),
          chunk.map((c) => uuidArrayLiteral(c.rootCause)),
          chunk.map((c) => c.since),
        ],
      );
      last = Math.max(last, Number(inserted[0].seq));
    }
    return last;
  },

  /** The incident's state is read in the same statement, so the event says what the write left behind. */
  async insertIncidentChange(db: EntityManager, incidentId: string, incidentUpdateId: string | null): Promise<number | null> {
    const inserted: { seq: string }[] = await db.query(
      `INSERT INTO change_event (kind, incident_id, incident_update_id, incident_state)
       SELECT 'INCIDENT', i.id, $2::uuid, i.state FROM incident i WHERE i.id = $1
       RETURNING seq`,
      [incidentId, incidentUpdateId],
    );
    return inserted.length === 1 ? Number(inserted[0].seq) : null;
  },

  /** The newest `seq` stored, or 0: where a starting instance begins to listen. */
  async lastSeq(db: EntityManager): Promise<number> {
    const [row]: { seq: string }[] = await db.query(`SELECT coalesce(max(seq), 0) AS seq FROM change_event`);
    return Number(row.seq);
  },

  /** Everything after `seq`, oldest first: the one query an instance makes per notification. */
  async after(db: EntityManager, seq: number, limit: number): Promise<ChangeEvent[]> {
    const rows: ChangeEventRow[] = await db.query(
      `SELECT ${COLUMNS} FROM change_event WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [seq, limit],
    );
    return rows.map(toEvent);
  },

  /** Every event up to this `seq` has been pruned (0: none). */
  async prunedThrough(db: EntityManager): Promise<number> {
    const [row]: { pruned_through: string }[] = await db.query(`SELECT pruned_through FROM change_event_horizon`);
    return Number(row.pruned_through);
  },

  /**
   * Prunes the oldest events, at most `batch`: of the `batch` first by `seq`, those up to the newest
   * that occurred before `before`, so what is left always starts right after the horizon. Returns how
   * many were pruned. One transaction per batch, so writers and readers never wait long.
   */
  async pruneOldest(db: EntityManager, before: Date, batch: number): Promise<number> {
    return db.transaction(async (tx) => {
      const [{ through }]: { through: string | null }[] = await tx.query(
        `SELECT max(seq) AS through FROM (SELECT seq, occurred_at FROM change_event ORDER BY seq LIMIT $2) oldest WHERE occurred_at < $1`,
        [before, batch],
      );
      if (through === null) return 0;
      const [{ pruned }]: { pruned: number }[] = await tx.query(
        `WITH pruned AS (DELETE FROM change_event WHERE seq <= $1 RETURNING 1) SELECT count(*)::int AS pruned FROM pruned`,
        [through],
      );
      await tx.query(`UPDATE change_event_horizon SET pruned_through = greatest(pruned_through, $1)`, [through]);
      return pruned;
    });
  },

  /** What one subscriber missed after its `since` cursor, oldest first. */
  async replay(db: EntityManager, seq: number, filter: ReplayFilter, limit: number): Promise<ChangeEvent[]> {
    const rows: ChangeEventRow[] = await db.query(
      `SELECT ${COLUMNS}
         FROM change_event
        WHERE seq > $1 AND kind = $2
          AND ($3::uuid IS NULL OR component_id = $3)
          AND ($4::uuid IS NULL OR municipality_ids @> ARRAY[$4::uuid])
          AND ($5::uuid IS NULL OR incident_id = $5)
        ORDER BY seq
        LIMIT $6`,
      [seq, filter.kind, filter.componentId ?? null, filter.municipalityId ?? null, filter.incidentId ?? null, limit],
    );
    return rows.map(toEvent);
  },
};
