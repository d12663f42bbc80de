import DataLoader from 'dataloader';
import { EntityManager } from 'typeorm';
import { byKey, groupByKey } from '../../common/batch';
import { Membership, Organisation } from './organisation.entity';
import { organisationRepository } from './organisation.repository';

export function createOrganisationLoaders(db: EntityManager) {
  const organisationById: DataLoader<string, Organisation | null> = new DataLoader(async (ids) => {
    const rows = await organisationRepository.findByIds(db, ids);
    return byKey(ids, rows, (row) => row.id);
  });
  const organisationByCbsCode = new DataLoader<string, Organisation | null>(async (codes) => {
    const rows = await organisationRepository.findByCbsCodes(db, codes);
    for (const row of rows) organisationById.prime(row.id, row);
    return byKey(codes, rows, (row) => row.cbsCode!);
  });
  return {
    organisationById,
    organisationByCbsCode,
    membershipById: new DataLoader<string, Membership | null>(async (ids) =>
      byKey(ids, await organisationRepository.membershipsByIds(db, ids), (row) => row.id)),
    membershipsByMunicipality: new DataLoader<string, Membership[]>(async (ids) =>
      groupByKey(ids, await organisationRepository.membershipsByMunicipalities(db, ids), (row) => row.municipalityId)),
    membershipsBySharedServiceOrganisation: new DataLoader<string, Membership[]>(async (ids) =>
      groupByKey(ids, await organisationRepository.membershipsBySharedServiceOrganisations(db, ids), (row) => row.sharedServiceOrganisationId)),
    customerIdsByVendor: new DataLoader<string, string[]>(async (ids) => {
      const rows = await organisationRepository.customerIdsByVendors(db, ids);
      return groupByKey(ids, rows, (row) => row.vendorId).map((group) => group.map((row) => row.municipalityId));
    }),
  };
}

export type OrganisationLoaders = ReturnType<typeof createOrganisationLoaders>;
