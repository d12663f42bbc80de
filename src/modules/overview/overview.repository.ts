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
  async componentSummaries(db: EntityManager): Promise<ComponentSummary[]> {
    const rows: { id: string; kind: ComponentKind; product_vendor: string | null; product: string | null; version: string | null }[] =
      await db.query(`SELECT id, kind, product_vendor, product, version FROM component`);
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
