import type { EntityManager } from 'typeorm';
import type { ReportFact, StatusCause } from '../status';

/** A report as the status engine reads it. */
export type PreviousReport = ReportFact;

export const statusChangesRepository = {
  /**
   * The component's newest report at `asOf` other than `reportId`: its own status as it was
   * before that report arrived.
   */
  async reportBefore(db: EntityManager, componentId: string, reportId: string, asOf: Date): Promise<PreviousReport | null> {
    const rows: { id: string; status: PreviousReport['status']; cause: StatusCause | null; observed_at: Date; seq: string }[] = await db.query(
      `SELECT id, status, cause, observed_at, seq
         FROM status_report
        WHERE component_id = $1 AND id <> $2 AND observed_at <= $3
        ORDER BY observed_at DESC, seq DESC
        LIMIT 1`,
      [componentId, reportId, asOf],
    );
    if (rows.length === 0) return null;
    const row = rows[0];
    return { id: row.id, componentId, status: row.status, cause: row.cause, observedAt: row.observed_at, seq: Number(row.seq) };
  },

  /** The municipalities each service is delivered to; components that are not services are absent. */
  async municipalitiesOfServices(db: EntityManager, componentIds: readonly string[]): Promise<Map<string, string[]>> {
    const rows: { service_id: string; municipality_ids: string[] }[] = await db.query(
      `SELECT service_id, array_agg(municipality_id::text ORDER BY municipality_id) AS municipality_ids
         FROM service_delivery
        WHERE service_id = ANY($1::uuid[])
        GROUP BY service_id`,
      [componentIds],
    );
    return new Map(rows.map((row) => [row.service_id, row.municipality_ids]));
  },
};
