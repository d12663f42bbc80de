import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { RequestContext } from '../../context';
import { AppError, badInput, notFound } from '../../errors';
import { inWriteTransaction } from '../../db/write-transaction';
import { idOf } from '../../common/global-id';
import { optionalText, requiredText } from '../../common/input';
import { isUniqueViolation } from '../../common/sql';
import type { DependencyKind } from '../../common/vocabulary';
import { recordAudit } from '../audit';
import { Component, deliverService, writeDependency } from '../component';
import { Organisation, writeMembership } from '../organisation';
import { consentRepository } from './consent.repository';
import { RelationRequest, RelationRequestState } from './relation-request.entity';

/**
 * Relation requests (docs/access.md, "Consent"): a relation that crosses organisations and that the
 * other party has not consented to in advance is asked for here, waits as a request that changes
 * nobody's picture, and is made when the other party (or a coordinator) accepts. A coordinator may
 * file a request for the asking party. Whether a relation needs asking at all is AccessScope's rule
 * (dependencyConsented, deliveryConsented);
 * making it is the owning module's write (writeDependency, deliverService, writeMembership), the
 * same one the direct mutations use.
 */

const NOTE_MAX = 2000;

type NewRequest = Omit<RelationRequest, 'id' | 'state' | 'requestedAt' | 'decidedAt' | 'decidedById' | 'decisionNote' | 'dependencyId' | 'membershipId'>;

const EMPTY: Omit<NewRequest, 'kind' | 'requestedById' | 'awaitingId' | 'note'> = {
  componentId: null, dependsOnId: null, dependencyKind: null, redundancyGroup: null,
  municipalityId: null, sharedServiceOrganisationId: null, startsOn: null, endsOn: null,
};

/** Stores a request, or returns the one already pending for the same relation (asking twice is one request). */
async function ask(ctx: RequestContext, operation: string, request: NewRequest): Promise<RelationRequest> {
  const insert = (db: EntityManager) => async () => {
    const pending = await consentRepository.pendingLike(db, request);
    if (pending) return pending;
    const id = randomUUID();
    await db.insert(RelationRequest, { ...request, id, state: 'PENDING', requestedAt: ctx.now });
    await recordAudit(db, ctx, { operation, entityType: 'RelationRequest', entityId: id });
    return db.findOneByOrFail(RelationRequest, { id });
  };
  try {
    return await ctx.db.transaction((db) => insert(db)());
  } catch (error) {
    // Two callers asked at once: the unique index kept one; that one is the answer to both.
    if (!isUniqueViolation(error)) throw error;
    const pending = await consentRepository.pendingLike(ctx.db, request);
    if (!pending) throw error;
    return pending;
  }
}

async function componentFor(ctx: RequestContext, globalId: string, field: string): Promise<Component> {
  const component = await ctx.unguarded.componentById.load(idOf('Component', globalId, field));
  if (!component) throw notFound(`No component with id ${globalId}`, field);
  if (component.retiredAt !== null) throw badInput(`${component.name} was retired`, field);
  return component;
}

async function organisationFor(ctx: RequestContext, globalId: string, field: string, kind: Organisation['kind']): Promise<Organisation> {
  const organisation = await ctx.unguarded.organisationById.load(idOf('Organisation', globalId, field));
  if (!organisation) throw notFound(`No organisation with id ${globalId}`, field);
  if (organisation.kind !== kind) throw badInput(`${organisation.name} is not a ${kind === 'MUNICIPALITY' ? 'municipality' : 'shared-service organisation'}`, field);
  return organisation;
}

export async function requestDependency(
  ctx: RequestContext,
  input: { componentId: string; dependsOnId: string; kind: DependencyKind; redundancyGroup?: string | null; note?: string | null },
): Promise<RelationRequest> {
  const component = await componentFor(ctx, input.componentId, 'componentId');
  const dependsOn = await componentFor(ctx, input.dependsOnId, 'dependsOnId');
  ctx.scope.requireOperatorOf(component, 'Asking for a dependency of this component');
  if (await ctx.scope.dependencyConsented(component, dependsOn)) {
    throw badInput(`${component.name} may depend on ${dependsOn.name} without asking: addDependency makes it now`, 'dependsOnId');
  }
  return ask(ctx, 'requestDependency', {
    ...EMPTY,
    kind: 'DEPENDENCY',
    requestedById: component.operatorId,
    awaitingId: dependsOn.operatorId,
    note: optionalText(input.note, 'note', NOTE_MAX),
    componentId: component.id,
    dependsOnId: dependsOn.id,
    dependencyKind: input.kind,
    redundancyGroup: input.redundancyGroup === null || input.redundancyGroup === undefined ? null : requiredText(input.redundancyGroup, 'redundancyGroup', 100),
  });
}

export async function requestDelivery(ctx: RequestContext, input: { serviceId: string; municipalityId: string; note?: string | null }): Promise<RelationRequest> {
  const service = await componentFor(ctx, input.serviceId, 'serviceId');
  if (service.kind !== 'SERVICE') throw badInput(`${service.name} is not a service: only services are delivered`, 'serviceId');
  ctx.scope.requireOperatorOf(service, 'Asking for a delivery of this service');
  const municipality = await organisationFor(ctx, input.municipalityId, 'municipalityId', 'MUNICIPALITY');
  if (await ctx.scope.deliveryConsented(service, municipality.id)) {
    throw badInput(`${service.name} may be delivered to ${municipality.name} without asking: updateComponent(deliveredTo:) does it now`, 'municipalityId');
  }
  const [delivered] = await ctx.db.query(
    `SELECT 1 FROM service_delivery WHERE service_id = $1 AND municipality_id = $2 AND delivered_until IS NULL`, [service.id, municipality.id]);
  if (delivered) throw new AppError('CONFLICT', `${service.name} is already delivered to ${municipality.name}`, 'municipalityId');
  return ask(ctx, 'requestDelivery', {
    ...EMPTY,
    kind: 'DELIVERY',
    requestedById: service.operatorId,
    awaitingId: municipality.id,
    note: optionalText(input.note, 'note', NOTE_MAX),
    componentId: service.id,
    municipalityId: municipality.id,
  });
}

export async function requestMembership(
  ctx: RequestContext,
  input: { sharedServiceOrganisationId: string; municipalityId: string; startsOn: string; endsOn?: string | null; note?: string | null },
): Promise<RelationRequest> {
  ctx.scope.requireOrganisation('Asking for a membership');
  const sso = await organisationFor(ctx, input.sharedServiceOrganisationId, 'sharedServiceOrganisationId', 'SHARED_SERVICE_ORGANISATION');
  const municipality = await organisationFor(ctx, input.municipalityId, 'municipalityId', 'MUNICIPALITY');
  // Either party asks the other; a coordinator may file it for the shared-service organisation.
  const caller = ctx.scope.actingOrganisationId;
  if (caller === sso.id) ctx.scope.requireRole('Asking for a membership for a shared-service organisation', 'OPERATOR', 'COORDINATOR');
  else if (caller !== municipality.id && !ctx.scope.isCoordinator) throw ctx.scope.denied('Asking for a membership between other organisations');
  const asker = caller === municipality.id ? municipality.id : sso.id;
  const endsOn = input.endsOn ?? null;
  if (endsOn !== null && endsOn < input.startsOn) throw badInput('endsOn lies before startsOn', 'endsOn');
  if (endsOn !== null && endsOn < ctx.now.toISOString().slice(0, 10)) throw badInput('A membership that has ended already changes nothing: endsOn lies in the past', 'endsOn');
  return ask(ctx, 'requestMembership', {
    ...EMPTY,
    kind: 'MEMBERSHIP',
    requestedById: asker,
    awaitingId: asker === sso.id ? municipality.id : sso.id,
    note: optionalText(input.note, 'note', NOTE_MAX),
    sharedServiceOrganisationId: sso.id,
    municipalityId: municipality.id,
    startsOn: input.startsOn,
    endsOn,
  });
}

type Decision = 'accept' | 'decline' | 'withdraw';

const OUTCOME: Record<Decision, RelationRequestState> = { accept: 'ACCEPTED', decline: 'DECLINED', withdraw: 'WITHDRAWN' };

/**
 * Decides a pending request, under a row lock so two decisions take turns: the awaited party (or a
 * coordinator) accepts or declines, the asking party (or a coordinator) withdraws. Deciding the same
 * way twice returns the request; deciding otherwise after a decision is a CONFLICT. Accepting makes
 * the relation in the same transaction; when that write is refused (a cycle, a retired component, an
 * overlapping membership) nothing is kept and the request stays pending.
 */
export async function decideRelationRequest(ctx: RequestContext, decision: Decision, input: { requestId: string; note?: string | null }): Promise<RelationRequest> {
  ctx.scope.requireOrganisation('Deciding relation requests');
  const id = idOf('RelationRequest', input.requestId, 'requestId');
  const note = optionalText(input.note, 'note', NOTE_MAX);
  return inWriteTransaction(ctx.db, async (db) => {
    const request = await consentRepository.lock(db, id);
    if (!request) throw notFound(`No relation request with id ${input.requestId}`, 'requestId');
    const decider = decision === 'withdraw' ? request.requestedById : request.awaitingId;
    if (!ctx.scope.isCoordinator && ctx.scope.organisationId !== decider) {
      const party = ctx.scope.organisationId === request.requestedById || ctx.scope.organisationId === request.awaitingId;
      throw party
        ? new AppError('FORBIDDEN', decision === 'withdraw' ? 'Only the organisation that asked withdraws a request' : 'Only the organisation asked decides a request', 'requestId')
        : ctx.scope.denied('This relation request');
    }
    if (request.state === OUTCOME[decision]) return request;
    if (request.state !== 'PENDING') throw new AppError('CONFLICT', `The request was ${request.state.toLowerCase()} on ${request.decidedAt!.toISOString()}`, 'requestId');
    const now = new Date();
    const made = decision === 'accept' ? await makeRelation(db, request, now) : {};
    await consentRepository.decide(db, request.id, { state: OUTCOME[decision], at: now, byId: ctx.scope.actingOrganisationId, note, ...made });
    await recordAudit(db, ctx, { operation: `${decision}RelationRequest`, entityType: 'RelationRequest', entityId: request.id });
    return db.findOneByOrFail(RelationRequest, { id: request.id });
  });
}

/** The relation an accepted request asked for, written by the module that owns it. */
async function makeRelation(db: EntityManager, request: RelationRequest, now: Date): Promise<{ dependencyId?: string; membershipId?: string }> {
  switch (request.kind) {
    case 'DEPENDENCY': {
      const component = await db.findOneByOrFail(Component, { id: request.componentId! });
      const dependsOn = await db.findOneByOrFail(Component, { id: request.dependsOnId! });
      const dependency = await writeDependency(db, component, dependsOn, { kind: request.dependencyKind!, redundancyGroup: request.redundancyGroup }, now);
      return { dependencyId: dependency.id };
    }
    case 'DELIVERY': {
      const service = await db.findOneByOrFail(Component, { id: request.componentId! });
      await deliverService(db, service, request.municipalityId!, now);
      return {};
    }
    case 'MEMBERSHIP': {
      const ids = { ssoId: request.sharedServiceOrganisationId!, municipalityId: request.municipalityId! };
      const membership = await writeMembership(db, { ...ids, startsOn: request.startsOn!, endsOn: request.endsOn }, {
        sharedServiceOrganisationId: ids.ssoId, municipalityId: ids.municipalityId,
      });
      return { membershipId: membership.id };
    }
  }
}
