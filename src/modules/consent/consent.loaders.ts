import DataLoader from 'dataloader';
import { EntityManager } from 'typeorm';
import { byKey } from '../../common/batch';
import { RelationRequest } from './relation-request.entity';
import { consentRepository } from './consent.repository';

export function createConsentLoaders(db: EntityManager) {
  return {
    relationRequestById: new DataLoader<string, RelationRequest | null>(async (ids) =>
      byKey(ids, await consentRepository.findByIds(db, ids), (row) => row.id)),
  };
}
