import { EntityManager, In } from 'typeorm';
import { escapeLike } from '../../common/sql';
import { Membership, Organisation, OrganisationKind } from './organisation.entity';

export const organisationRepository = {
  findByIds(db: EntityManager, ids: readonly string[]): Promise<Organisation[]> {
    return db.findBy(Organisation, { id: In([...ids]) });
  },

  findByCbsCodes(db: EntityManager, cbsCodes: readonly string[]): Promise<Organisation[]> {
    return db.findBy(Organisation, { cbsCode: In([...cbsCodes]) });
  },

  /** One page sorted by (name, id) after the cursor, plus one row to tell whether more follow. */
  async page(
    db: EntityManager,
    filter: { kind?: OrganisationKind; search?: string },
    after: { name: string; id: string } | null,
    limit: number,
  ): Promise<{ rows: Organisation[]; totalCount: number }> {
    const query = db.createQueryBuilder(Organisation, 'o');
    if (filter.kind) query.andWhere('o.kind = :kind', { kind: filter.kind });
    if (filter.search) query.andWhere('o.name ILIKE :search', { search: `%${escapeLike(filter.search)}%` });
    const totalCount = await query.clone().getCount();
    if (after) query.andWhere('(o.name, o.id) > (:name, :id)', after);
    const rows = await query.orderBy('o.name', 'ASC').addOrderBy('o.id', 'ASC').limit(limit).getMany();
    return { rows, totalCount };
  },

  membershipsByMunicipalities(db: EntityManager, municipalityIds: readonly string[]): Promise<Membership[]> {
    return db.find(Membership, { where: { municipalityId: In([...municipalityIds]) }, order: { startsOn: 'ASC' } });
  },

  membershipsBySharedServiceOrganisations(db: EntityManager, ids: readonly string[]): Promise<Membership[]> {
    return db.find(Membership, { where: { sharedServiceOrganisationId: In([...ids]) }, order: { startsOn: 'ASC' } });
  },

  membershipsByIds(db: EntityManager, ids: readonly string[]): Promise<Membership[]> {
    return db.findBy(Membership, { id: In([...ids]) });
  },

  /** Municipalities whose services depend, directly or transitively, on components of these vendors. */
  async customerIdsByVendors(db: EntityManager, vendorIds: readonly string[]): Promise<{ vendorId: string; municipalityId: string }[]> {
    const rows: { vendor_id: string; municipality_id: string }[] = await db.query(
      `WITH RECURSIVE reach(vendor_id, component_id) AS (
         SELECT c.operator_id, c.id FROM component c WHERE c.operator_id = ANY($1::uuid[])
         UNION
         SELECT r.vendor_id, d.component_id
           FROM dependency d JOIN reach r ON d.depends_on_id = r.component_id
          WHERE d.removed_at IS NULL
       )
       SELECT DISTINCT r.vendor_id, sd.municipality_id
         FROM reach r JOIN service_delivery sd ON sd.service_id = r.component_id`,
      [vendorIds],
    );
    return rows.map((row) => ({ vendorId: row.vendor_id, municipalityId: row.municipality_id }));
  },
};
