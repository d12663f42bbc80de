import type { ComponentStatus } from '../status/status-report.entity';
import type { Advisory } from './advisory.entity';

export interface ExposureModel {
  advisory: Advisory;
  groups: ExposureGroupModel[];
}

export interface ExposureGroupModel {
  status: ComponentStatus;
  gatewayIds: string[];
}
