import { EntityManager, In } from 'typeorm';
import { pagesFromRows } from '../../common/page-loader';
import type { ReportedStatus, StatusCause } from '../../common/vocabulary';
import type { ReportFact } from '../picture';
import { StatusReport } from './status-report.entity';

type ReportRow = { id: string; component_id: string; status: ReportedStatus; cause: StatusCause | null; observed_at: Date; seq: string };

function toFact(row: ReportRow): ReportFact {
  return { id: row.id, componentId: row.component_id, status: row.status, cause: row.cause, observedAt: row.observed_at, seq: Number(row.seq) };
}

export const statusRepository = {
  /** A component's own newest report (by observation, then arrival), or null when it has none. */
  async newestReport(db: EntityManager, componentId: string): Promise<ReportFact | null> {
    const [row]: ReportRow[] = await db.query(
      `SELECT id, component_id, status, cause, observed_at, seq FROM status_report WHERE component_id = $1 ORDER BY observed_at DESC, seq DESC LIMIT 1`,
      [componentId],
    );
    return row ? toFact(row) : null;
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
