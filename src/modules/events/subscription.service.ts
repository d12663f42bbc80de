import type { RequestContext } from '../../context';
import { AppError, badInput, notFound } from '../../errors';
import type { Component } from '../component';
import { readablePath } from '../access';
import { idOf } from '../../common/global-id';
import { decodeCursor, encodeCursor } from '../../common/pagination';
import { checkCbsCode } from '../organisation';
import { statusChangesFor } from './change-event';
import type { ChangeEvent, IncidentChangeEvent, StatusChangeEvent } from './change-event';
import { changeEventRepository } from './change-event.repository';
import type { ReplayFilter } from './change-event.repository';
import type { EventBus } from './event-bus';
import { EventStream } from './event-stream';
import type { IncidentChangeModel, StatusChangeModel } from './event.models';

/** An event's cursor, made once however many subscribers receive the event. */
const cursors = new WeakMap<ChangeEvent, string>();

export function cursorOf(event: ChangeEvent): string {
  let cursor = cursors.get(event);
  if (cursor === undefined) {
    cursor = encodeCursor([event.seq]);
    cursors.set(event, cursor);
  }
  return cursor;
}

/** The position a `since` cursor names (null: none given); BAD_USER_INPUT when it is no cursor a subscription gave out. */
export function sinceOf(since: string | null | undefined): number | null {
  try {
    const key = decodeCursor(since, ['number']);
    return key === null ? null : (key[0] as number);
  } catch (error) {
    if (error instanceof AppError) throw badInput('since is not a cursor a subscription gave out', 'since');
    throw error;
  }
}

/**
 * The stored events after `seq` that match, or BAD_USER_INPUT when some events after `seq` were
 * pruned (kept CHANGE_EVENT_RETENTION_HOURS). The horizon is read after the events: pruning removes
 * the oldest first, so a horizon not past `seq` by then means nothing the read needed was missing.
 */
export async function replayKept(ctx: RequestContext, seq: number, filter: ReplayFilter, limit: number): Promise<ChangeEvent[]> {
  const events = await changeEventRepository.replay(ctx.db, seq, filter, limit);
  await refuseIfPruned(ctx, seq);
  return events;
}

export async function refuseIfPruned(ctx: RequestContext, since: number): Promise<void> {
  if ((await changeEventRepository.prunedThrough(ctx.db)) > since) {
    throw badInput('The changes after this cursor are no longer kept: read the current picture, then subscribe again without since', 'since');
  }
}

/**
 * The root value of a subscription served over WebSocket (src/websocket.ts): the instance's bus, and
 * the context an event of it is resolved in (fresh loaders shared by its batch, the subscription's
 * access scope).
 */
interface SubscriptionRoot {
  events?: EventBus;
  contextFor?: (payload: unknown) => RequestContext;
}

/** The root value of a subscription served over WebSocket carries the instance's bus (src/websocket.ts). */
export function busOf(root: unknown): EventBus {
  const events = (root as SubscriptionRoot | null | undefined)?.events;
  if (!events) throw badInput('Subscriptions are served over WebSocket at /graphql (the graphql-ws protocol), not over HTTP');
  return events;
}

/**
 * The context a payload of this subscription is resolved in: a filter that must read the database
 * (which window a maintenance event concerns) reads what the event's resolvers will read, through
 * the same loaders, shared by the batch.
 */
export function eventContextOf(root: unknown, payload: unknown): RequestContext {
  const contextFor = (root as SubscriptionRoot | null | undefined)?.contextFor;
  if (!contextFor) throw badInput('Subscriptions are served over WebSocket at /graphql (the graphql-ws protocol), not over HTTP');
  return contextFor(payload);
}

export interface FollowArgs {
  municipalityCbsCode?: string | null;
  componentId?: string | null;
}

/** What a subscription with these arguments follows, decided when it begins, for its whole life. */
export interface Followed {
  /** The municipality named; null: none. */
  municipalityId: string | null;
  /** The component named (the caller may read it); null: none. */
  componentId: string | null;
  /** Neither named: the caller's whole picture (null for a coordinator: everything). */
  picture: Set<string> | null;
  /** Neither named: true. */
  wholePicture: boolean;
}

/**
 * Who may follow what, one rule for every subscription that takes these arguments: the public may
 * follow a municipality (its availability is public anyway); following a component needs a token
 * that may see that component's status; neither, a token: its whole picture.
 */
export async function followed(ctx: RequestContext, args: FollowArgs, what: { component: string; picture: string }): Promise<Followed> {
  let municipalityId: string | null = null;
  if (args.municipalityCbsCode !== null && args.municipalityCbsCode !== undefined) {
    const municipality = await ctx.loaders.organisationByCbsCode.load(checkCbsCode(args.municipalityCbsCode, 'municipalityCbsCode'));
    if (!municipality || municipality.kind !== 'MUNICIPALITY') {
      throw notFound(`No municipality with CBS code ${args.municipalityCbsCode}`, 'municipalityCbsCode');
    }
    municipalityId = municipality.id;
  }

  let componentId: string | null = null;
  if (args.componentId !== null && args.componentId !== undefined) {
    componentId = idOf('Component', args.componentId, 'componentId');
    if (!(await ctx.unguarded.componentById.load(componentId))) throw notFound(`No component with id ${args.componentId}`, 'componentId');
    if (!(await ctx.scope.mayReadComponentDetails(componentId))) throw ctx.scope.denied(what.component);
  }

  // Neither argument: the caller's whole picture. Decided now, for the life of the subscription.
  let picture: Set<string> | null = null;
  const wholePicture = municipalityId === null && componentId === null;
  if (wholePicture) {
    ctx.scope.requireOrganisation(what.picture);
    if (!ctx.scope.isCoordinator) picture = await ctx.scope.visibleComponentIds();
  }
  return { municipalityId, componentId, picture, wholePicture };
}

export interface StatusChangedArgs extends FollowArgs {
  since?: string | null;
}

/**
 * A `statusChanged` subscription. Who may ask what is decided here, once; each event is then
 * matched in memory. The public may follow a municipality (its availability is public anyway);
 * following a component, or a whole picture, needs a token that may see that component's status.
 */
export async function statusChanges(ctx: RequestContext, bus: EventBus, args: StatusChangedArgs): Promise<EventStream<StatusChangeModel>> {
  const since = sinceOf(args.since);
  // Refused at once, as the subscription's error; the replay checks again, should pruning overtake it.
  if (since !== null) await refuseIfPruned(ctx, since);
  const { municipalityId, componentId, picture } = await followed(ctx, args, {
    component: 'Following the status of this component', picture: 'Following status changes without a municipalityCbsCode',
  });

  const matches = (event: ChangeEvent): event is StatusChangeEvent =>
    event.kind === 'STATUS'
    && (municipalityId === null || event.municipalityIds.includes(municipalityId))
    && (componentId === null || event.componentId === componentId)
    && (picture === null || picture.has(event.componentId));

  return new EventStream<StatusChangeModel>({
    bus,
    since,
    matches,
    candidates: municipalityId === null ? undefined : (batch) => statusChangesFor(batch, municipalityId),
    replay: (seq, limit) => replayKept(ctx, seq, { kind: 'STATUS', componentId, municipalityId }, limit),
    toPayload: (event, batch) => ({ event: event as StatusChangeEvent, batch, municipalityId }),
  });
}

/** An `incidentUpdated` subscription: for an organisation that may read the incident. */
export async function incidentChanges(ctx: RequestContext, bus: EventBus, args: { incidentId: string; since?: string | null }): Promise<EventStream<IncidentChangeModel>> {
  const since = sinceOf(args.since);
  // Refused at once, as the subscription's error; the replay checks again, should pruning overtake it.
  if (since !== null) await refuseIfPruned(ctx, since);
  const incidentId = idOf('Incident', args.incidentId, 'incidentId');
  ctx.scope.requireOrganisation('Following an incident');
  // The guarded loader refuses an incident outside the caller's picture.
  if (!(await ctx.loaders.incidentById.load(incidentId))) throw notFound(`No incident with id ${args.incidentId}`, 'incidentId');

  return new EventStream<IncidentChangeModel>({
    bus,
    since,
    matches: (event) => event.kind === 'INCIDENT' && event.incidentId === incidentId,
    replay: (seq, limit) => replayKept(ctx, seq, { kind: 'INCIDENT', incidentId }, limit),
    toPayload: (event, batch) => ({ event: event as IncidentChangeEvent, batch }),
  });
}

/** The root cause path as far as the caller may follow it (readablePath: one rule with EffectiveStatus.rootCause). */
export async function visibleRootCause(ctx: RequestContext, path: readonly string[]): Promise<Component[]> {
  return readablePath(ctx, path);
}
