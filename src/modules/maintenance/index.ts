export { createMaintenanceLoaders } from './maintenance.loaders';
export { MaintenanceWindow } from './maintenance.models';
export type { MaintenanceWindowModel } from './maintenance.models';
export { recordTimeTaken } from './maintenance.mutations';
