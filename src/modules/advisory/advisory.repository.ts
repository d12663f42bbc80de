import { EntityManager, In } from 'typeorm';
import { Component } from '../component';
import { Advisory, AdvisoryAffectedProduct } from './advisory.entity';

export const advisoryRepository = {
  findByIds(db: EntityManager, ids: readonly string[]): Promise<Advisory[]> {
    return db.findBy(Advisory, { id: In([...ids]) });
  },

  /** Newest publication first. */
  async page(
    db: EntityManager,
    filter: { publisherId?: string },
    after: { publishedAt: string; id: string } | null,
    limit: number,
  ): Promise<{ rows: Advisory[]; totalCount: number }> {
    const query = db.createQueryBuilder(Advisory, 'a');
    if (filter.publisherId) query.andWhere('a.publisher_id = :publisherId', { publisherId: filter.publisherId });
    const totalCount = await query.clone().getCount();
    if (after) query.andWhere('(a.published_at, a.id) < (:publishedAt, :id)', after);
    const rows = await query.orderBy('a.published_at', 'DESC').addOrderBy('a.id', 'DESC').limit(limit).getMany();
    return { rows, totalCount };
  },

  publishedUpTo(db: EntityManager, asOf: Date): Promise<Advisory[]> {
    return db.createQueryBuilder(Advisory, 'a').where('a.published_at <= :asOf', { asOf }).orderBy('a.published_at', 'ASC').getMany();
  },

  affectedProducts(db: EntityManager, advisoryIds: readonly string[]): Promise<AdvisoryAffectedProduct[]> {
    return db.find(AdvisoryAffectedProduct, {
      where: { advisoryId: In([...advisoryIds]) },
      order: { productVendor: 'ASC', product: 'ASC', versionFrom: 'ASC' },
    });
  },

  /** Gateways of the given products (vendor and product compared case-insensitively). */
  gatewaysOfProducts(db: EntityManager, products: { productVendor: string; product: string }[]): Promise<Component[]> {
    if (products.length === 0) return Promise.resolve([]);
    return db
      .createQueryBuilder(Component, 'c')
      .where(`c.kind = 'GATEWAY'`)
      .andWhere(
        `(lower(c.product_vendor), lower(c.product)) IN (SELECT lower(v), lower(p) FROM unnest(:vendors::text[], :products::text[]) AS t(v, p))`,
        { vendors: products.map((p) => p.productVendor), products: products.map((p) => p.product) },
      )
      .orderBy('c.name', 'ASC')
      .addOrderBy('c.id', 'ASC')
      .getMany();
  },
};
