import { EntityManager } from 'typeorm';
import { uuidArrayLiteral } from '../../db/uuid-array';
import type { Audience, ComponentKind } from '../component';

export interface ComponentSummary {
  id: string;
  kind: ComponentKind;
  productVendor: string | null;
  product: string | null;
  version: string | null;
}

export interface Delivery {
  serviceId: string;
  audience: Audience;
  municipalityId: string;
  population: number;
}

export const overviewRepository = {
  async componentSummaries(db: EntityManager): Promise<ComponentSummary[]> {
    const rows: { id: string; kind: ComponentKind; product_vendor: string | null; product: string | null; version: string | null }[] =
      await db.query(`SELECT id, kind, product_vendor, product, version FROM component`);
    return rows.map((r) => ({ id: r.id, kind: r.kind, productVendor: r.product_vendor, product: r.product, version: r.version }));
  },

  /** Who receives which service, with what the residents count needs. `serviceIds` null means all. */
  async deliveries(db: EntityManager, serviceIds: readonly string[] | null): Promise<Delivery[]> {
    const rows: { service_id: string; audience: Audience; municipality_id: string; population: number }[] = await db.query(
      `SELECT sd.service_id, s.audience, sd.municipality_id, m.population
         FROM service_delivery sd
         JOIN component s ON s.id = sd.service_id
         JOIN organisation m ON m.id = sd.municipality_id
        WHERE $1::uuid[] IS NULL OR sd.service_id = ANY($1::uuid[])`,
      [serviceIds],
    );
    return rows.map((r) => ({ serviceId: r.service_id, audience: r.audience, municipalityId: r.municipality_id, population: r.population }));
  },

  /**
   * Who receives each of `serviceIds`, with the municipality's population; `audience` is the
   * caller's to fill in (it has the services). Rows handed over as they come: a hub's what-if reads
   * 60,000 of them.
   */
  async municipalitiesOf(db: EntityManager, serviceIds: readonly string[]): Promise<Omit<Delivery, 'audience'>[]> {
    return db.query(
      `SELECT sd.service_id AS "serviceId", sd.municipality_id AS "municipalityId", m.population
         FROM unnest($1::uuid[]) AS asked(id)
         JOIN service_delivery sd ON sd.service_id = asked.id
         JOIN organisation m ON m.id = sd.municipality_id`,
      [uuidArrayLiteral(serviceIds)],
    );
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
