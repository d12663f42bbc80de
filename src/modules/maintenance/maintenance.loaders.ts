import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import { byKey, groupByKey } from '../../common/batch';
import type { MaintenanceWindowModel } from './maintenance.models';
import { maintenanceRepository } from './maintenance.repository';

export function createMaintenanceLoaders(db: EntityManager, now: Date) {
  return {
    maintenanceById: new DataLoader<string, MaintenanceWindowModel | null>(async (ids) =>
      byKey(ids, await maintenanceRepository.byIds(db, ids), (w) => w.id)),
    /** Each component's windows that are not over now and not cancelled, by start. */
    comingMaintenanceOf: new DataLoader<string, MaintenanceWindowModel[]>(async (ids) =>
      groupByKey(ids, await maintenanceRepository.comingOfComponents(db, ids, now), (row) => row.componentId).map((rows) => rows.map((row) => row.window))),
  };
}
