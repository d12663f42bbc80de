import type { ComponentKind, ComponentStatus } from '../../common/vocabulary';
import type { ServiceAvailabilityModel } from '../picture';
import type { Advisory } from '../advisory';

export interface ImpactReportModel {
  componentIds: string[];
  status: ComponentStatus;
  asOf: Date;
  affected: ServiceAvailabilityModel[];
  municipalityIds: string[];
  residentsAffected: number;
  withheld: { services: number; municipalities: number; residents: number };
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
