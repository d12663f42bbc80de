import type { ComponentStatus } from '../../common/vocabulary';
import type { Advisory } from './advisory.entity';

export interface ExposureModel {
  advisory: Advisory;
  groups: ExposureGroupModel[];
}

export interface ExposureGroupModel {
  status: ComponentStatus;
  gatewayIds: string[];
}
