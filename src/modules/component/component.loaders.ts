import DataLoader from 'dataloader';
import { EntityManager } from 'typeorm';
import { byKey, groupByKey } from '../../common/batch';
import { childPageLoader } from '../../common/page-loader';
import { Component, Dependency } from './component.entity';
import { componentRepository } from './component.repository';

export function createComponentLoaders(db: EntityManager) {
  const componentById = new DataLoader<string, Component | null>(async (ids) =>
    byKey(ids, await componentRepository.findByIds(db, ids), (row) => row.id));
  return {
    componentById,
    componentPageByOperator: childPageLoader<{ name: string; id: string }>((ids, after, limit) =>
      componentRepository.pagesByOperators(db, ids, after, limit)),
    dependencyById: new DataLoader<string, Dependency | null>(async (ids) =>
      byKey(ids, await componentRepository.dependenciesByIds(db, ids), (row) => row.id)),
    dependenciesOf: new DataLoader<string, Dependency[]>(async (ids) =>
      groupByKey(ids, await componentRepository.dependenciesOf(db, ids), (row) => row.componentId)),
    dependentsOf: new DataLoader<string, Dependency[]>(async (ids) =>
      groupByKey(ids, await componentRepository.dependentsOf(db, ids), (row) => row.dependsOnId)),
    municipalityIdsByService: new DataLoader<string, string[]>(async (ids) =>
      groupByKey(ids, await componentRepository.deliveries(db, 'service_id', ids), (row) => row.serviceId)
        .map((group) => group.map((row) => row.municipalityId))),
    /** Whether a service is delivered to some municipality now (its name is then public). */
    isDeliveredService: new DataLoader<string, boolean>(async (ids) => {
      const delivered = new Set(await componentRepository.deliveredServiceIds(db, ids));
      return ids.map((id) => delivered.has(id));
    }),
  };
}

export type ComponentLoaders = ReturnType<typeof createComponentLoaders>;
