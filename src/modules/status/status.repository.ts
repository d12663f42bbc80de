import { EntityManager, In } from 'typeorm';
import { pagesFromRows } from '../../common/page-loader';
import { StatusReport } from './status-report.entity';

export const statusRepository = {
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
