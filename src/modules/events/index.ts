export type { ChangeEvent, EventBatch, IncidentChangeEvent, MaintenanceAction, MaintenanceChangeEvent, StatusChangeEvent } from './change-event';
export { EventBus } from './event-bus';
export type { EventChannel, EventBusStats } from './event-bus';
export { batchOf } from './event.models';
export type { IncidentChangeModel, StatusChangeModel } from './event.models';
export { InProcessChannel } from './in-process-channel';
export { PostgresChannel } from './postgres-channel';
export { startEventBus } from './start-event-bus';
export { recordIncidentUpdate, recordMaintenanceChanges, recordStatusChanges } from './record-changes';
export type { NewStatusChange } from './change-event.repository';
export { keepChangeEventsPruned, pruneChangeEvents } from './event-retention';
export { changeEventsAfter, changeEventsPrunedThrough, newestChangeEventSeq } from './change-event.reader';
// For subscriptions built in other modules (maintenanceChanged): the same cursors, replay, stream and rules of who may follow what.
export { admittedOnly, EventStream } from './event-stream';
export { busOf, cursorOf, eventContextOf, followed, refuseIfPruned, replayKept, sinceOf } from './subscription.service';
export type { FollowArgs, Followed } from './subscription.service';
