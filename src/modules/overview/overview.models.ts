import type { ComponentKind } from '../component/component.entity';
import type { ComponentStatus } from '../status/status-report.entity';
import type { ServiceAvailabilityModel } from '../status/status.models';
import type { Advisory } from '../advisory/advisory.entity';

export interface ImpactReportModel {
  componentId: string;
  status: ComponentStatus;
  affected: ServiceAvailabilityModel[];
  municipalityIds: string[];
  residentsAffected: number;
}

export interface SilentOrganisationModel {
  organisationId: string;
  advisory: Advisory;
  lastReportedAt: Date | null;
}

export interface NationalOverviewModel {
  asOf: Date;
  componentsByStatus: { status: ComponentStatus; count: number }[];
  componentsByKind: { kind: ComponentKind; status: ComponentStatus; count: number }[];
  gatewaysByProduct: { vendor: string; product: string; version: string | null; status: ComponentStatus; count: number }[];
  municipalityIdsWithOutage: string[];
  residentsAffected: number;
  /** Asked for only when a field needs it (it reads every exposed gateway of every advisory). */
  silentSince: () => Promise<SilentOrganisationModel[]>;
}
