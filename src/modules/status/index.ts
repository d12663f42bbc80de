export { StatusReport } from './status-report.entity';
export type { ComponentStatus, ReportedStatus, StatusCause } from '../../common/vocabulary';
export { statusRepository } from './status.repository';
export { statusHistory } from './status.service';
