import { EntityManager, In, IsNull } from 'typeorm';
import { pagesFromRows } from '../../common/page-loader';
import { escapeLike } from '../../common/sql';
import { entityColumns } from '../../db/entity-columns';
import { queryNamed } from '../../db/named-statements';
import { Component, ComponentKind, Dependency } from './component.entity';

export interface ComponentListFilter {
  kind?: ComponentKind;
  operatorId?: string;
  product?: string;
  search?: string;
  /** Restrict to these ids (used when another filter was decided outside SQL). */
  ids?: string[];
}

export const componentRepository = {
  /**
   * Components by id: one plain statement whose columns are named after the entity's properties, so
   * each row becomes a Component without the query builder (every request reads hundreds of these).
   */
  async findByIds(db: EntityManager, ids: readonly string[]): Promise<Component[]> {
    const columns = entityColumns(db, Component, 'c');
    const rows = await queryNamed<Record<string, unknown>>(db, 'ketenbeeld_components_by_id', `SELECT ${columns.list} FROM component c WHERE c.id = ANY($1::uuid[])`, [ids]);
    return rows.map((row) => columns.read(row));
  },

  /** One page sorted by (name, id) after the cursor, plus one row to tell whether more follow. */
  async page(
    db: EntityManager,
    filter: ComponentListFilter,
    after: { name: string; id: string } | null,
    limit: number,
  ): Promise<{ rows: Component[]; totalCount: number }> {
    const query = filtered(db, filter);
    const totalCount = await query.clone().getCount();
    if (after) query.andWhere('(c.name, c.id) > (:name, :id)', after);
    const rows = await query.orderBy('c.name', 'ASC').addOrderBy('c.id', 'ASC').limit(limit).getMany();
    return { rows, totalCount };
  },

  /** Ids of components matching the SQL-side filters, for filters decided in the status engine. */
  async idsMatching(db: EntityManager, filter: ComponentListFilter): Promise<string[]> {
    const query = filtered(db, filter).select('c.id', 'id');
    const rows: { id: string }[] = await query.getRawMany();
    return rows.map((row) => row.id);
  },

  /** A page of components per operator, sorted by (name, id): one statement for every operator. */
  async pagesByOperators(db: EntityManager, operatorIds: string[], after: { name: string; id: string } | null, limit: number) {
    const rows = await db.query(
      `SELECT t.parent_id, r.id, t.total, r.position
         FROM (SELECT operator_id AS parent_id, count(*) AS total
                 FROM component WHERE operator_id = ANY($1::uuid[]) AND retired_at IS NULL GROUP BY operator_id) t
         LEFT JOIN (
           SELECT c.operator_id AS parent_id, c.id,
                  row_number() OVER (PARTITION BY c.operator_id ORDER BY c.name, c.id) AS position
             FROM component c
            WHERE c.operator_id = ANY($1::uuid[]) AND c.retired_at IS NULL AND ($2::text IS NULL OR (c.name, c.id) > ($2, $3::uuid))
         ) r ON r.parent_id = t.parent_id AND r.position <= $4 + 1
        ORDER BY t.parent_id, r.position`,
      [operatorIds, after?.name ?? null, after?.id ?? null, limit],
    );
    return pagesFromRows(rows, limit);
  },

  /** Edges in force now that leave these components ("depends on"). */
  dependenciesOf(db: EntityManager, componentIds: readonly string[]): Promise<Dependency[]> {
    return db.find(Dependency, {
      where: { componentId: In([...componentIds]), removedAt: IsNull() },
      order: { addedAt: 'ASC', id: 'ASC' },
    });
  },

  /** Edges in force now that arrive at these components ("dependents"). */
  dependentsOf(db: EntityManager, componentIds: readonly string[]): Promise<Dependency[]> {
    return db.find(Dependency, {
      where: { dependsOnId: In([...componentIds]), removedAt: IsNull() },
      order: { addedAt: 'ASC', id: 'ASC' },
    });
  },

  dependenciesByIds(db: EntityManager, ids: readonly string[]): Promise<Dependency[]> {
    return db.findBy(Dependency, { id: In([...ids]) });
  },

  async deliveries(
    db: EntityManager,
    by: 'service_id' | 'municipality_id',
    ids: readonly string[],
  ): Promise<{ serviceId: string; municipalityId: string }[]> {
    const rows: { service_id: string; municipality_id: string }[] = await db.query(
      `SELECT service_id, municipality_id FROM service_delivery WHERE ${by} = ANY($1::uuid[]) AND delivered_until IS NULL`,
      [ids],
    );
    return rows.map((row) => ({ serviceId: row.service_id, municipalityId: row.municipality_id }));
  },

  /** Those of `ids` delivered to some municipality now. */
  async deliveredServiceIds(db: EntityManager, ids: readonly string[]): Promise<string[]> {
    const rows: { service_id: string }[] = await db.query(
      `SELECT DISTINCT service_id FROM service_delivery WHERE service_id = ANY($1::uuid[]) AND delivered_until IS NULL`,
      [ids],
    );
    return rows.map((row) => row.service_id);
  },
};

/** Components of now: a retired one stays readable by id, for history, but is listed no more. */
function filtered(db: EntityManager, filter: ComponentListFilter) {
  const query = db.createQueryBuilder(Component, 'c').where('c.retired_at IS NULL');
  if (filter.kind) query.andWhere('c.kind = :kind', { kind: filter.kind });
  if (filter.operatorId) query.andWhere('c.operator_id = :operatorId', { operatorId: filter.operatorId });
  if (filter.product) {
    query.andWhere('(c.product ILIKE :product OR c.product_vendor ILIKE :product)', { product: escapeLike(filter.product) });
  }
  if (filter.search) query.andWhere('c.name ILIKE :search', { search: `%${escapeLike(filter.search)}%` });
  if (filter.ids) query.andWhere('c.id = ANY(:ids)', { ids: filter.ids });
  return query;
}
