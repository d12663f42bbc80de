import { AccessToken } from './access/access-token.entity';
import { Advisory, AdvisoryAffectedProduct } from './advisory/advisory.entity';
import { Component, Dependency, ServiceDelivery } from './component/component.entity';
import { Incident, IncidentUpdate } from './incident/incident.entity';
import { Membership, Organisation } from './organisation/organisation.entity';
import { StatusReport } from './status/status-report.entity';

/** Every TypeORM entity, for the one DataSource. */
export const entities = [
  Organisation, Membership, Component, ServiceDelivery, Dependency, StatusReport,
  Incident, IncidentUpdate, Advisory, AdvisoryAffectedProduct, AccessToken,
];
