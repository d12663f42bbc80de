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

/**
 * The national picture at one moment. Each part is read when a field asks for it, and once: a
 * dashboard polling three counts does not pay for the municipalities list it does not show.
 */
export interface NationalOverviewModel {
  asOf: Date;
  counts: () => Promise<{
    componentsByStatus: { status: ComponentStatus; count: number }[];
    componentsByKind: { kind: ComponentKind; status: ComponentStatus; count: number }[];
  }>;
  gatewaysByProduct: () => Promise<{ vendor: string; product: string; version: string | null; status: ComponentStatus; count: number }[]>;
  municipalityIdsWithOutage: () => Promise<string[]>;
  residentsAffected: () => Promise<number>;
  /** Reads every exposed gateway of every advisory. */
  silentSince: () => Promise<SilentOrganisationModel[]>;
}
