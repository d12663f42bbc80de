import type { EventBatch, MaintenanceChangeEvent } from '../events';

/**
 * An announced maintenance window (issue 17): some of one operator's components, from `startsAt`
 * until `endsAt`. A class, so that `node(id:)` tells it by its class.
 */
export class MaintenanceWindow {
  id!: string;
  operatorId!: string;
  title!: string;
  publicText!: string | null;
  startsAt!: Date;
  endsAt!: Date;
  cancelledAt!: Date | null;
  revision!: number;
  createdAt!: Date;
  updatedAt!: Date;
  componentIds!: string[];
}

export type MaintenanceWindowModel = MaintenanceWindow;

export type MaintenanceState = 'SCHEDULED' | 'IN_PROGRESS' | 'COMPLETED' | 'CANCELLED';

/** Where a window stands at `now`. One cancelled while it ran counted until then: COMPLETED is not said of it. */
export function stateOf(window: MaintenanceWindowModel, now: Date): MaintenanceState {
  if (window.cancelledAt !== null) return 'CANCELLED';
  if (now.getTime() < window.startsAt.getTime()) return 'SCHEDULED';
  if (now.getTime() < window.endsAt.getTime()) return 'IN_PROGRESS';
  return 'COMPLETED';
}

/** A window as one municipality's services feel it: the services of that municipality that stand on it. */
export interface MaintenanceNoticeModel {
  window: MaintenanceWindowModel;
  serviceIds: string[];
}

/** What a `maintenanceChanged` subscriber receives, before its selection is resolved. */
export interface MaintenanceChangeModel {
  event: MaintenanceChangeEvent;
  /** The fetch it came with: its deliveries share one set of loaders (src/websocket.ts). */
  batch: EventBatch;
  /** The municipality the subscription named, if any: `notice` is the window as its residents feel it. */
  municipalityId: string | null;
}
