import { AccessToken } from './modules/access/access-token.entity';
import { Advisory, AdvisoryAffectedProduct, AdvisoryRevision, AdvisoryVulnerability, GatewayRemediation } from './modules/advisory/advisory.entity';
import { Component, Dependency, ServiceDelivery } from './modules/component/component.entity';
import { Incident, IncidentUpdate } from './modules/incident/incident.entity';
import { Membership, Organisation } from './modules/organisation/organisation.entity';
import { StatusReport } from './modules/status/status-report.entity';
import { RelationRequest } from './modules/consent/relation-request.entity';

/** Every TypeORM entity, for the one DataSource. */
export const entities = [
  Organisation, Membership, Component, ServiceDelivery, Dependency, StatusReport,
  Incident, IncidentUpdate, Advisory, AdvisoryAffectedProduct, AdvisoryRevision, AdvisoryVulnerability, GatewayRemediation, AccessToken,
  RelationRequest,
];
