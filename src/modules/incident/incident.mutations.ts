import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { RequestContext } from '../../context';
import { AppError, badInput, notFound } from '../../errors';
import { recordAudit } from '../audit';
import { idOf } from '../../common/global-id';
import { optionalText, pastMoment, requiredText } from '../../common/input';
import { recordIncidentUpdate } from '../events';
import { Incident, IncidentSeverity, IncidentState, IncidentUpdate, IncidentUpdateKind } from './incident.entity';

interface UpdateText {
  message: string;
  source?: string | null;
  authorName?: string | null;
}

function checkUpdateText(input: UpdateText) {
  return {
    message: requiredText(input.message, 'message', 5000),
    source: optionalText(input.source, 'source', 2000),
    authorName: optionalText(input.authorName, 'authorName', 200),
  };
}

async function appendUpdate(
  db: EntityManager,
  ctx: RequestContext,
  incidentId: string,
  update: { kind: IncidentUpdateKind; state: IncidentState; postedAt: Date; message: string; source: string | null; authorName: string | null },
): Promise<IncidentUpdate> {
  const id = randomUUID();
  await db.insert(IncidentUpdate, { id, incidentId, authorId: ctx.scope.actingOrganisationId, ...update });
  // Every change of an incident appends an update, after the incident row: subscribers hear of it at commit.
  await recordIncidentUpdate(db, incidentId, id);
  return db.findOneByOrFail(IncidentUpdate, { id });
}

/** Who may write to an incident: the declaring organisation, an operator of an affected component, a coordinator. */
async function requireIncidentWriter(db: EntityManager, ctx: RequestContext, incident: Incident, what: string): Promise<void> {
  if (ctx.scope.isCoordinator) return;
  ctx.scope.requireOrganisation(what);
  const viewer = ctx.viewer as { organisationId: string; role: string };
  if (viewer.role !== 'OPERATOR' && viewer.role !== 'VENDOR') throw ctx.scope.denied(what);
  if (incident.declaredById === viewer.organisationId) return;
  const [operates] = await db.query(
    `SELECT 1 FROM incident_component ic JOIN component c ON c.id = ic.component_id WHERE ic.incident_id = $1 AND c.operator_id = $2 LIMIT 1`,
    [incident.id, viewer.organisationId],
  );
  if (!operates) throw ctx.scope.denied(what);
}

async function lockOpenIncident(db: EntityManager, globalId: string): Promise<Incident> {
  const id = idOf('Incident', globalId, 'incidentId');
  const [row] = await db.query('SELECT id FROM incident WHERE id = $1 FOR UPDATE', [id]);
  if (!row) throw notFound(`No incident with id ${globalId}`, 'incidentId');
  const incident = await db.findOneByOrFail(Incident, { id });
  if (incident.state === 'RESOLVED') throw new AppError('CONFLICT', 'The incident is resolved; declare a new one if it came back', 'incidentId');
  return incident;
}

export async function declareIncident(
  ctx: RequestContext,
  input: UpdateText & { title: string; severity: IncidentSeverity; state?: IncidentState | null; startedAt?: Date | null; affectedComponentIds: string[]; advisoryIds?: string[] | null },
): Promise<Incident> {
  ctx.scope.requireRole('Declaring incidents', 'OPERATOR', 'VENDOR', 'COORDINATOR');
  const title = requiredText(input.title, 'title', 300);
  const text = checkUpdateText(input);
  const state = input.state ?? 'INVESTIGATING';
  if (state === 'RESOLVED') throw badInput('An incident starts unresolved', 'state');
  const startedAt = pastMoment(input.startedAt, 'startedAt', ctx.now);
  const componentIds = [...new Set(input.affectedComponentIds.map((id) => idOf('Component', id, 'affectedComponentIds')))];
  if (componentIds.length === 0) throw badInput('Name at least one affected component', 'affectedComponentIds');
  const advisoryIds = [...new Set((input.advisoryIds ?? []).map((id) => idOf('Advisory', id, 'advisoryIds')))];
  for (const componentId of componentIds) {
    if (!(await ctx.scope.mayReadComponentDetails(componentId))) throw ctx.scope.denied('Declaring an incident on a component outside your picture');
  }
  return ctx.db.transaction(async (db) => {
    const found: { id: string }[] = await db.query('SELECT id FROM component WHERE id = ANY($1::uuid[])', [componentIds]);
    if (found.length !== componentIds.length) throw notFound('An affected component does not exist', 'affectedComponentIds');
    const advisories: { id: string }[] = await db.query('SELECT id FROM advisory WHERE id = ANY($1::uuid[])', [advisoryIds]);
    if (advisories.length !== advisoryIds.length) throw notFound('A linked advisory does not exist', 'advisoryIds');
    const id = randomUUID();
    await db.insert(Incident, { id, title, severity: input.severity, state, declaredById: ctx.scope.actingOrganisationId, startedAt, resolvedAt: null });
    for (const componentId of componentIds) await db.query('INSERT INTO incident_component (incident_id, component_id) VALUES ($1, $2)', [id, componentId]);
    for (const advisoryId of advisoryIds) await db.query('INSERT INTO incident_advisory (incident_id, advisory_id) VALUES ($1, $2)', [id, advisoryId]);
    await appendUpdate(db, ctx, id, { kind: 'UPDATE', state, postedAt: startedAt, ...text });
    await recordAudit(db, ctx, { operation: 'declareIncident', entityType: 'Incident', entityId: id });
    return db.findOneByOrFail(Incident, { id });
  });
}

export async function postIncidentUpdate(
  ctx: RequestContext,
  input: UpdateText & { incidentId: string; state?: IncidentState | null; postedAt?: Date | null },
): Promise<{ incident: Incident; update: IncidentUpdate }> {
  ctx.scope.requireOrganisation('Posting incident updates');
  const text = checkUpdateText(input);
  if (input.state === 'RESOLVED') throw badInput('Resolve an incident with resolveIncident', 'state');
  const postedAt = pastMoment(input.postedAt, 'postedAt', ctx.now);
  return ctx.db.transaction(async (db) => {
    const incident = await lockOpenIncident(db, input.incidentId);
    await requireIncidentWriter(db, ctx, incident, 'Posting updates to this incident');
    const state = input.state ?? incident.state;
    await db.update(Incident, { id: incident.id }, { state });
    const update = await appendUpdate(db, ctx, incident.id, { kind: 'UPDATE', state, postedAt, ...text });
    await recordAudit(db, ctx, { operation: 'postIncidentUpdate', entityType: 'IncidentUpdate', entityId: update.id });
    return { incident: await db.findOneByOrFail(Incident, { id: incident.id }), update };
  });
}

export async function resolveIncident(
  ctx: RequestContext,
  input: UpdateText & { incidentId: string; resolvedAt?: Date | null },
): Promise<Incident> {
  ctx.scope.requireOrganisation('Resolving incidents');
  const text = checkUpdateText(input);
  const resolvedAt = pastMoment(input.resolvedAt, 'resolvedAt', ctx.now);
  return ctx.db.transaction(async (db) => {
    const incident = await lockOpenIncident(db, input.incidentId);
    await requireIncidentWriter(db, ctx, incident, 'Resolving this incident');
    if (resolvedAt.getTime() < incident.startedAt.getTime()) throw badInput('resolvedAt lies before the incident started', 'resolvedAt');
    await db.update(Incident, { id: incident.id }, { state: 'RESOLVED', resolvedAt });
    const update = await appendUpdate(db, ctx, incident.id, { kind: 'UPDATE', state: 'RESOLVED', postedAt: resolvedAt, ...text });
    await recordAudit(db, ctx, { operation: 'resolveIncident', entityType: 'IncidentUpdate', entityId: update.id });
    return db.findOneByOrFail(Incident, { id: incident.id });
  });
}

/**
 * A green light to restart: from a coordinator, or from a vendor for an incident that affects one
 * of its own components ("Monday morning: green light from Centric").
 */
export async function issueClearance(
  ctx: RequestContext,
  input: UpdateText & { incidentId: string; postedAt?: Date | null },
): Promise<{ incident: Incident; update: IncidentUpdate }> {
  ctx.scope.requireRole('Issuing a clearance', 'COORDINATOR', 'VENDOR');
  const text = checkUpdateText(input);
  const postedAt = pastMoment(input.postedAt, 'postedAt', ctx.now);
  return ctx.db.transaction(async (db) => {
    const incident = await lockOpenIncident(db, input.incidentId);
    if (!ctx.scope.isCoordinator) {
      const [ownProduct] = await db.query(
        `SELECT 1 FROM incident_component ic JOIN component c ON c.id = ic.component_id WHERE ic.incident_id = $1 AND c.operator_id = $2 LIMIT 1`,
        [incident.id, ctx.scope.actingOrganisationId],
      );
      if (!ownProduct) throw ctx.scope.denied('A clearance for an incident that does not affect your own components');
    }
    await db.update(Incident, { id: incident.id }, { state: 'MONITORING' });
    const update = await appendUpdate(db, ctx, incident.id, { kind: 'CLEARANCE', state: 'MONITORING', postedAt, ...text });
    await recordAudit(db, ctx, { operation: 'issueClearance', entityType: 'IncidentUpdate', entityId: update.id });
    return { incident: await db.findOneByOrFail(Incident, { id: incident.id }), update };
  });
}
