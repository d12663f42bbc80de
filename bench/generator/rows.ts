/** The rows the generator produces, one interface per table, named after the columns they fill. */

export interface OrganisationRow {
  id: string;
  kind: 'MUNICIPALITY' | 'SHARED_SERVICE_ORGANISATION' | 'VENDOR' | 'COORDINATOR';
  name: string;
  cbsCode: string | null;
  population: number | null;
  website: string | null;
}

export interface MembershipRow {
  id: string;
  sharedServiceOrganisationId: string;
  municipalityId: string;
  startsOn: string;
}

export interface ComponentRow {
  id: string;
  kind: 'GATEWAY' | 'APPLICATION' | 'SERVICE' | 'INFRASTRUCTURE';
  operatorId: string;
  name: string;
  productVendor: string | null;
  product: string | null;
  version: string | null;
  internetFacing: boolean | null;
  audience: 'RESIDENTS' | 'STAFF' | 'BUSINESSES' | null;
  heartbeatSeconds: number | null;
  /**
   * Offered by its operator to every organisation to depend on (`component.offered`): vendors' and
   * Logius's components, which municipalities and shared-service organisations depend on across the
   * organisational border. A dependant's picture shows an offered component, and what is offered behind it.
   */
  offered: boolean;
}

export interface DeliveryRow {
  serviceId: string;
  municipalityId: string;
}

export interface DependencyRow {
  id: string;
  componentId: string;
  dependsOnId: string;
  kind: 'REQUIRED' | 'OPTIONAL';
  redundancyGroup: string | null;
  addedAt: Date;
  removedAt: Date | null;
}

export type ReportedStatus = 'OPERATIONAL' | 'DEGRADED_PERFORMANCE' | 'PARTIAL_OUTAGE' | 'MAJOR_OUTAGE' | 'UNDER_MAINTENANCE';
export type Cause = 'PRECAUTIONARY_SHUTDOWN' | 'FAILURE' | 'MAINTENANCE' | 'COMPROMISE' | 'DEPENDENCY';

export interface StatusReportRow {
  id: string;
  componentId: string;
  status: ReportedStatus;
  cause: Cause | null;
  observedAt: Date;
  reporterId: string;
  source: string | null;
}

export interface AdvisoryRow {
  id: string;
  reference: string;
  title: string;
  publisherId: string;
  publishedAt: Date;
  cveIds: string[];
  cvssScore: number;
  advice: 'PATCH' | 'MITIGATE' | 'SWITCH_OFF';
}

export interface AffectedProductRow {
  id: string;
  advisoryId: string;
  productVendor: string;
  product: string;
  versionFrom: string | null;
  versionTo: string | null;
}

export interface Dataset {
  scale: number;
  seed: number;
  organisations: OrganisationRow[];
  memberships: MembershipRow[];
  components: ComponentRow[];
  deliveries: DeliveryRow[];
  dependencies: DependencyRow[];
  statusReports: StatusReportRow[];
  advisories: AdvisoryRow[];
  affectedProducts: AffectedProductRow[];
}
