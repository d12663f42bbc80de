import DataLoader from 'dataloader';
import { EntityManager } from 'typeorm';
import { byKey, groupByKey } from '../../common/batch';
import { Advisory, AdvisoryAffectedProduct } from './advisory.entity';
import { advisoryRepository } from './advisory.repository';

export function createAdvisoryLoaders(db: EntityManager) {
  return {
    advisoryById: new DataLoader<string, Advisory | null>(async (ids) =>
      byKey(ids, await advisoryRepository.findByIds(db, ids), (row) => row.id)),
    affectedProductsByAdvisory: new DataLoader<string, AdvisoryAffectedProduct[]>(async (ids) =>
      groupByKey(ids, await advisoryRepository.affectedProducts(db, ids), (row) => row.advisoryId)),
  };
}

export type AdvisoryLoaders = ReturnType<typeof createAdvisoryLoaders>;
