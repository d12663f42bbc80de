export { createMaintenanceLoaders } from './maintenance.loaders';
export { MaintenanceWindow } from './maintenance.models';
export type { MaintenanceChangeModel, MaintenanceNoticeModel, MaintenanceWindowModel } from './maintenance.models';
export { recordTimeTaken } from './maintenance.mutations';
// Who sees a window, and in what form: one rule for the reads, the subscription and the webhook kind.
export { noticeFor, noticesFor, readableComponentsOf, readableWindow } from './maintenance.sight';
