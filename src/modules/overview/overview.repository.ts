import { EntityManager } from 'typeorm';
import type { ComponentKind } from '../../common/vocabulary';

export interface ComponentSummary {
  id: string;
  kind: ComponentKind;
  productVendor: string | null;
  product: string | null;
  version: string | null;
}

export const overviewRepository = {
  /**
   * Every component's kind and product as registered at `asOf`: the revision in force then, or the
   * component's own row when it has no revisions (facts loaded in bulk, around the API).
   */
  async componentSummaries(db: EntityManager, asOf: Date): Promise<ComponentSummary[]> {
    const rows: { id: string; kind: ComponentKind; product_vendor: string | null; product: string | null; version: string | null }[] =
      await db.query(
        `SELECT c.id, c.kind, coalesce(r.product_vendor, c.product_vendor) AS product_vendor, coalesce(r.product, c.product) AS product,
                CASE WHEN r.component_id IS NULL THEN c.version ELSE r.version END AS version
           FROM component c
           LEFT JOIN LATERAL (SELECT * FROM component_revision r WHERE r.component_id = c.id AND r.valid_from <= $1
                               ORDER BY r.valid_from DESC, r.revision DESC LIMIT 1) r ON true`,
        [asOf],
      );
    return rows.map((r) => ({ id: r.id, kind: r.kind, productVendor: r.product_vendor, product: r.product, version: r.version }));
  },

  /** Each organisation's newest status report observed up to `asOf`. */
  async lastReportedAt(db: EntityManager, organisationIds: readonly string[], asOf: Date): Promise<Map<string, Date>> {
    const rows: { reporter_id: string; last: Date }[] = await db.query(
      `SELECT reporter_id, max(observed_at) AS last FROM status_report
        WHERE reporter_id = ANY($1::uuid[]) AND observed_at <= $2 GROUP BY reporter_id`,
      [organisationIds, asOf],
    );
    return new Map(rows.map((r) => [r.reporter_id, r.last]));
  },
};
