import type { Component } from '../component';
import type { ComponentStatus } from '../../common/vocabulary';
import type { Advisory, AdvisoryAffectedProduct, GatewayRemediation, Remediation, RemediationState } from './advisory.entity';

export interface ExposedComponentModel {
  component: Component;
  status: ComponentStatus;
  remediation: RemediationState;
  remediationRecord: GatewayRemediation | null;
  matchedBy: AdvisoryAffectedProduct;
}

export interface ExposureModel {
  advisory: Advisory;
  asOf: Date;
  withdrawn: boolean;
  components: ExposedComponentModel[];
  groups: ExposureGroupModel[];
  byRemediation: RemediationGroupModel[];
}

export interface ExposureGroupModel {
  status: ComponentStatus;
  components: Component[];
}

export interface RemediationGroupModel {
  state: RemediationState;
  components: Component[];
}

export interface AdvisoryVulnerabilityModel {
  cve: string | null;
  title: string | null;
  cvssScore: number | null;
  cvssVector: string | null;
  remediations: Remediation[];
}

export interface CallListEntryModel {
  exposed: ExposedComponentModel;
  lastReportedAt: Date | null;
}

export interface AdvisoryCallListModel {
  advisory: Advisory;
  entries: CallListEntryModel[];
}
