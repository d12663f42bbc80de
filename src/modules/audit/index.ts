export { recordAudit } from './audit.repository';
export type { AuditEntryModel } from './audit.repository';
