export { StatusReport } from './status-report.entity';
export type { ComponentStatus, ReportedStatus, StatusCause } from './status-report.entity';
export { severity } from './status.rules';
export { DependencyGraph, StatusPicture, StatusTimeline } from './status.engine';
export type { Effective, ReportFact } from './status.engine';
export type { EffectiveStatusModel, ServiceAvailabilityModel } from './status.models';
export { statusRepository } from './status.repository';
export { statusResolvers } from './status.resolvers';
export { effectiveStatusesAt, servicesOfMunicipality, statusHistory } from './status.service';
