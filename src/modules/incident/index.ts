export { Incident, IncidentUpdate } from './incident.entity';
export type { IncidentSeverity, IncidentState, IncidentUpdateKind } from './incident.entity';
