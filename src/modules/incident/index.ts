export { Incident, IncidentUpdate } from './incident.entity';
export type { IncidentSeverity, IncidentState, IncidentUpdateKind } from './incident.entity';
export { incidentResolvers } from './incident.resolvers';
export { incidentsOfComponent } from './incident.service';
