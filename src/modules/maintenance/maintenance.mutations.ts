import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../context';
import { AppError, badInput, notFound } from '../../errors';
import { idOf } from '../../common/global-id';
import { optionalText, requiredText } from '../../common/input';
import { inWriteTransaction } from '../../db/write-transaction';
import { recordAudit } from '../audit';
import { recordMaintenanceChanges, recordStatusChanges } from '../events';
import type { MaintenanceAction, NewStatusChange } from '../events';
import { pictureKeeper } from '../picture';
import type { MaintenanceWindowModel } from './maintenance.models';
import { maintenanceRepository } from './maintenance.repository';

/** A moment sent as "now" arrives a little late; one further back is a mistake. */
const PAST_SLACK_MS = 60_000;
const MAX_COMPONENTS = 500;
const MAX_LENGTH_MS = 366 * 86_400_000;

function checkTimes(startsAt: Date, endsAt: Date): void {
  if (endsAt.getTime() <= startsAt.getTime()) throw badInput('endsAt must lie after startsAt', 'endsAt');
  if (endsAt.getTime() - startsAt.getTime() > MAX_LENGTH_MS) throw badInput('A maintenance window lasts at most 366 days', 'endsAt');
}

/** A start sent as now (or a moment ago) starts now; one further in the past is refused: the past does not move. */
function startFrom(startsAt: Date, now: Date): Date {
  if (startsAt.getTime() < now.getTime() - PAST_SLACK_MS) {
    throw badInput(`startsAt lies in the past (server time ${now.toISOString()}): maintenance is announced ahead, not afterwards`, 'startsAt');
  }
  return startsAt.getTime() < now.getTime() ? now : startsAt;
}

/** Writes the change, lets the picture judge the window's components again from now, and records both. */
async function takeIn(db: EntityManager, ctx: RequestContext, window: { id: string; componentIds: string[] }, action: MaintenanceAction, operation: string, now: Date): Promise<void> {
  const changes: NewStatusChange[] = await pictureKeeper.maintenanceChanged(db, window.componentIds, now);
  await recordMaintenanceChanges(db, [{ maintenanceId: window.id, action }], changes);
  await recordAudit(db, ctx, { operation, entityType: 'MaintenanceWindow', entityId: window.id });
}

export interface ScheduleMaintenanceInput {
  componentIds: string[];
  title: string;
  publicText?: string | null;
  startsAt: Date;
  endsAt: Date;
}

/**
 * Announces that components will be UNDER_MAINTENANCE from `startsAt` until `endsAt`. Only the
 * operator of every one of them (or a coordinator, for components of one operator) may. The picture
 * does not change until the window begins (unless it begins now); the picture's clock takes the start
 * and the end in when they come.
 */
export async function scheduleMaintenance(ctx: RequestContext, input: ScheduleMaintenanceInput): Promise<MaintenanceWindowModel> {
  ctx.scope.requireOrganisation('Scheduling maintenance');
  const componentIds = [...new Set(input.componentIds.map((id) => idOf('Component', id, 'componentIds')))];
  if (componentIds.length === 0) throw badInput('Name at least one component', 'componentIds');
  if (componentIds.length > MAX_COMPONENTS) throw badInput(`At most ${MAX_COMPONENTS} components per window`, 'componentIds');
  const title = requiredText(input.title, 'title', 300);
  const publicText = optionalText(input.publicText, 'publicText', 5000);
  const components = await ctx.unguarded.componentById.loadMany(componentIds);
  const operatorIds = new Set<string>();
  for (const [i, component] of components.entries()) {
    if (component instanceof Error) throw component;
    if (!component) throw notFound(`No component with id ${input.componentIds[i]}`, 'componentIds');
    ctx.scope.requireOperatorOf(component, 'Scheduling maintenance on this component');
    if (component.retiredAt !== null) throw badInput(`${component.name} was retired: it has no maintenance`, 'componentIds');
    operatorIds.add(component.operatorId);
  }
  if (operatorIds.size > 1) throw badInput('One window covers the components of one operator; schedule one per operator', 'componentIds');
  return inWriteTransaction(ctx.db, async (db) => {
    const now = new Date();
    const startsAt = startFrom(input.startsAt, now);
    checkTimes(startsAt, input.endsAt);
    const id = await maintenanceRepository.insert(db, { operatorId: [...operatorIds][0], title, publicText, startsAt, endsAt: input.endsAt, componentIds }, now);
    await takeIn(db, ctx, { id, componentIds }, 'SCHEDULED', 'scheduleMaintenance', now);
    return (await maintenanceRepository.byIds(db, [id]))[0];
  });
}

/** The window to edit, locked, if the caller may edit it and it is still open to edits. */
async function editable(ctx: RequestContext, db: EntityManager, globalId: string, revision: number | null, now: Date, what: string): Promise<MaintenanceWindowModel> {
  const window = await maintenanceRepository.lockedById(db, idOf('MaintenanceWindow', globalId, 'maintenanceId'));
  if (!window) throw notFound(`No maintenance window with id ${globalId}`, 'maintenanceId');
  ctx.scope.requireOperatorOf(window, what);
  if (revision !== null && window.revision !== revision) {
    throw new AppError('CONFLICT', `The window changed since you read it: revision ${window.revision}, not ${revision}. Read it again and reapply your change.`, 'revision');
  }
  if (window.cancelledAt !== null) throw badInput(`The window was cancelled on ${window.cancelledAt.toISOString()}`, 'maintenanceId');
  if (window.endsAt.getTime() <= now.getTime()) throw badInput(`The window ended on ${window.endsAt.toISOString()}: the past does not change`, 'maintenanceId');
  return window;
}

export interface UpdateMaintenanceInput {
  maintenanceId: string;
  revision: number;
  title?: string | null;
  publicText?: string | null;
  startsAt?: Date | null;
  endsAt?: Date | null;
}

/**
 * Retitles, moves, extends or shortens a window that is not over. What has been stays: a window
 * that began keeps its start and can end no earlier than now; one that has not begun can be moved
 * anywhere from now on.
 */
export async function updateMaintenance(ctx: RequestContext, input: UpdateMaintenanceInput): Promise<MaintenanceWindowModel> {
  ctx.scope.requireOrganisation('Changing maintenance');
  const title = input.title === undefined || input.title === null ? null : requiredText(input.title, 'title', 300);
  const publicText = input.publicText === undefined ? undefined : optionalText(input.publicText, 'publicText', 5000);
  return inWriteTransaction(ctx.db, async (db) => {
    const now = new Date();
    const window = await editable(ctx, db, input.maintenanceId, input.revision, now, 'Changing this maintenance window');
    const began = window.startsAt.getTime() <= now.getTime();
    let startsAt = window.startsAt;
    if (input.startsAt && input.startsAt.getTime() !== window.startsAt.getTime()) {
      if (began) throw badInput(`The window began on ${window.startsAt.toISOString()}: its start cannot move (shorten or extend it with endsAt)`, 'startsAt');
      startsAt = startFrom(input.startsAt, now);
    }
    let endsAt = window.endsAt;
    if (input.endsAt) {
      if (input.endsAt.getTime() < now.getTime() - PAST_SLACK_MS) {
        throw badInput(`endsAt lies in the past (server time ${now.toISOString()}): a running window can be shortened to now, not before`, 'endsAt');
      }
      endsAt = input.endsAt.getTime() < now.getTime() ? now : input.endsAt;
    }
    checkTimes(startsAt, endsAt);
    await maintenanceRepository.update(db, window.id, {
      title: title ?? window.title, publicText: publicText === undefined ? window.publicText : publicText,
      startsAt, endsAt, cancelledAt: null, endAnnounced: false,
    }, now);
    await takeIn(db, ctx, window, 'UPDATED', 'updateMaintenance', now);
    return (await maintenanceRepository.byIds(db, [window.id]))[0];
  });
}

/**
 * Calls a window off. One that had not begun never counted (history forgets it); one that is
 * running ends now (history keeps what was).
 */
export async function cancelMaintenance(ctx: RequestContext, input: { maintenanceId: string; revision?: number | null }): Promise<MaintenanceWindowModel> {
  ctx.scope.requireOrganisation('Cancelling maintenance');
  return inWriteTransaction(ctx.db, async (db) => {
    const now = new Date();
    const window = await editable(ctx, db, input.maintenanceId, input.revision ?? null, now, 'Cancelling this maintenance window');
    const began = window.startsAt.getTime() < now.getTime();
    await maintenanceRepository.update(db, window.id, {
      title: window.title, publicText: window.publicText, startsAt: window.startsAt, endsAt: began ? now : window.endsAt, cancelledAt: now, endAnnounced: true,
    }, now);
    await takeIn(db, ctx, window, 'CANCELLED', 'cancelMaintenance', now);
    return (await maintenanceRepository.byIds(db, [window.id]))[0];
  });
}

/**
 * What the picture's clock records when it takes a moment in: the status changes, and the windows
 * whose start or end came by `now`, once each (main.ts hands this to keepPictureOnTime).
 */
export async function recordTimeTaken(db: EntityManager, changes: readonly NewStatusChange[], now: Date): Promise<void> {
  const announcements = await maintenanceRepository.takeDueAnnouncements(db, now);
  if (announcements.length === 0) {
    await recordStatusChanges(db, changes);
    return;
  }
  await recordMaintenanceChanges(db, announcements.map((a) => ({ maintenanceId: a.id, action: a.action })), changes);
}
