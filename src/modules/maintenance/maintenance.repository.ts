import type { EntityManager } from 'typeorm';
import { uuidArrayLiteral } from '../../db/uuid-array';
import { MaintenanceWindow, MaintenanceWindowModel } from './maintenance.models';

interface WindowRow {
  id: string; operator_id: string; title: string; public_text: string | null; starts_at: Date; ends_at: Date;
  cancelled_at: Date | null; revision: number; created_at: Date; updated_at: Date; component_ids: string[];
}

const COLUMNS = `w.id, w.operator_id, w.title, w.public_text, w.starts_at, w.ends_at, w.cancelled_at, w.revision, w.created_at, w.updated_at,
  ARRAY(SELECT mc.component_id::text FROM maintenance_component mc WHERE mc.maintenance_id = w.id ORDER BY mc.component_id) AS component_ids`;

function toModel(row: WindowRow): MaintenanceWindowModel {
  return Object.assign(new MaintenanceWindow(), {
    id: row.id, operatorId: row.operator_id, title: row.title, publicText: row.public_text, startsAt: row.starts_at, endsAt: row.ends_at,
    cancelledAt: row.cancelled_at, revision: row.revision, createdAt: row.created_at, updatedAt: row.updated_at, componentIds: row.component_ids,
  });
}

export interface MaintenanceListFilter {
  /** Windows that end after this moment. */
  from: Date;
  /** Windows that begin before this moment; null: any. */
  to: Date | null;
  /** Windows on any of these components; null: any. */
  componentIds: string[] | null;
  includeCancelled: boolean;
}

export const maintenanceRepository = {
  async byIds(db: EntityManager, ids: readonly string[]): Promise<MaintenanceWindowModel[]> {
    const rows: WindowRow[] = await db.query(`SELECT ${COLUMNS} FROM maintenance_window w WHERE w.id = ANY($1::uuid[])`, [uuidArrayLiteral(ids)]);
    return rows.map(toModel);
  },

  /** The window, locked against other edits until the transaction ends. */
  async lockedById(db: EntityManager, id: string): Promise<MaintenanceWindowModel | null> {
    const rows: WindowRow[] = await db.query(`SELECT ${COLUMNS} FROM maintenance_window w WHERE w.id = $1 FOR UPDATE`, [id]);
    return rows.length === 1 ? toModel(rows[0]) : null;
  },

  /** Every window not cancelled, not over at `now`, that begins before `until`, by start. */
  async upcoming(db: EntityManager, now: Date, until: Date): Promise<MaintenanceWindowModel[]> {
    const rows: WindowRow[] = await db.query(
      `SELECT ${COLUMNS} FROM maintenance_window w
        WHERE w.cancelled_at IS NULL AND w.ends_at > $1 AND w.starts_at < $2
        ORDER BY w.starts_at, w.id`,
      [now, until],
    );
    return rows.map(toModel);
  },

  /** The windows of each component that are not over at `now` and not cancelled, by start. */
  async comingOfComponents(db: EntityManager, componentIds: readonly string[], now: Date): Promise<{ componentId: string; window: MaintenanceWindowModel }[]> {
    const rows: (WindowRow & { component_id: string })[] = await db.query(
      `SELECT c.component_id, ${COLUMNS}
         FROM maintenance_component c JOIN maintenance_window w ON w.id = c.maintenance_id
        WHERE c.component_id = ANY($1::uuid[]) AND w.ends_at > $2 AND w.cancelled_at IS NULL
        ORDER BY w.starts_at, w.id`,
      [uuidArrayLiteral(componentIds), now],
    );
    return rows.map((row) => ({ componentId: row.component_id, window: toModel(row) }));
  },

  /** A page of windows by start (keyset: after [startsAt, id]); `limit` + 1 rows tell whether there is more. */
  async page(db: EntityManager, filter: MaintenanceListFilter, visibleIds: string[] | null, after: [string, string] | null, limit: number): Promise<MaintenanceWindowModel[]> {
    const rows: WindowRow[] = await db.query(
      `SELECT ${COLUMNS} FROM maintenance_window w
        WHERE w.ends_at > $1 AND ($2::timestamptz IS NULL OR w.starts_at < $2)
          AND ($3 OR w.cancelled_at IS NULL)
          AND ($4::uuid[] IS NULL OR EXISTS (SELECT 1 FROM maintenance_component mc WHERE mc.maintenance_id = w.id AND mc.component_id = ANY($4::uuid[])))
          AND ($5::uuid[] IS NULL OR EXISTS (SELECT 1 FROM maintenance_component mc WHERE mc.maintenance_id = w.id AND mc.component_id = ANY($5::uuid[])))
          AND ($6::timestamptz IS NULL OR (w.starts_at, w.id) > ($6::timestamptz, $7::uuid))
        ORDER BY w.starts_at, w.id
        LIMIT $8`,
      [filter.from, filter.to, filter.includeCancelled, filter.componentIds === null ? null : uuidArrayLiteral(filter.componentIds),
        visibleIds === null ? null : uuidArrayLiteral(visibleIds), after?.[0] ?? null, after?.[1] ?? null, limit],
    );
    return rows.map(toModel);
  },

  async count(db: EntityManager, filter: MaintenanceListFilter, visibleIds: string[] | null): Promise<number> {
    const [row]: { count: number }[] = await db.query(
      `SELECT count(*)::int AS count FROM maintenance_window w
        WHERE w.ends_at > $1 AND ($2::timestamptz IS NULL OR w.starts_at < $2)
          AND ($3 OR w.cancelled_at IS NULL)
          AND ($4::uuid[] IS NULL OR EXISTS (SELECT 1 FROM maintenance_component mc WHERE mc.maintenance_id = w.id AND mc.component_id = ANY($4::uuid[])))
          AND ($5::uuid[] IS NULL OR EXISTS (SELECT 1 FROM maintenance_component mc WHERE mc.maintenance_id = w.id AND mc.component_id = ANY($5::uuid[])))`,
      [filter.from, filter.to, filter.includeCancelled, filter.componentIds === null ? null : uuidArrayLiteral(filter.componentIds),
        visibleIds === null ? null : uuidArrayLiteral(visibleIds)],
    );
    return row.count;
  },

  async insert(db: EntityManager, window: { operatorId: string; title: string; publicText: string | null; startsAt: Date; endsAt: Date; componentIds: string[] }, now: Date): Promise<string> {
    const [row]: { id: string }[] = await db.query(
      `INSERT INTO maintenance_window (operator_id, title, public_text, starts_at, ends_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
      [window.operatorId, window.title, window.publicText, window.startsAt, window.endsAt, now],
    );
    await db.query(
      `INSERT INTO maintenance_component (maintenance_id, component_id) SELECT $1, c FROM unnest($2::uuid[]) AS c`,
      [row.id, uuidArrayLiteral(window.componentIds)],
    );
    return row.id;
  },

  async update(db: EntityManager, id: string, fields: { title: string; publicText: string | null; startsAt: Date; endsAt: Date; cancelledAt: Date | null; endAnnounced: boolean }, now: Date): Promise<void> {
    await db.query(
      `UPDATE maintenance_window
          SET title = $2, public_text = $3, starts_at = $4, ends_at = $5, cancelled_at = $6, revision = revision + 1, updated_at = $7,
              start_announced = start_announced OR $8, end_announced = end_announced OR $8
        WHERE id = $1`,
      [id, fields.title, fields.publicText, fields.startsAt, fields.endsAt, fields.cancelledAt, now, fields.endAnnounced],
    );
  },

  /**
   * The windows whose start or end has come by `now` and was not announced yet, marked announced:
   * each is announced once, whichever instance's clock sees it first.
   */
  async takeDueAnnouncements(db: EntityManager, now: Date): Promise<{ id: string; action: 'STARTED' | 'ENDED' }[]> {
    // UPDATE … RETURNING answers [rows, count] through TypeORM.
    const [started]: [{ id: string }[], number] = await db.query(
      `UPDATE maintenance_window SET start_announced = true
        WHERE NOT start_announced AND starts_at <= $1 AND (cancelled_at IS NULL OR cancelled_at > starts_at)
        RETURNING id`,
      [now],
    );
    const [ended]: [{ id: string }[], number] = await db.query(
      `UPDATE maintenance_window SET end_announced = true
        WHERE NOT end_announced AND ends_at <= $1 AND (cancelled_at IS NULL OR cancelled_at > starts_at)
        RETURNING id`,
      [now],
    );
    return [...started.map((r) => ({ id: r.id, action: 'STARTED' as const })), ...ended.map((r) => ({ id: r.id, action: 'ENDED' as const }))];
  },
};
