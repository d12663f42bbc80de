import { createHash, randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { RequestContext } from '../../context';
import { AppError, badInput, notFound } from '../../errors';
import { recordAudit } from '../audit';
import { checkRecipients, recipientRepository } from '../../common/tlp-recipients';
import type { TlpLabel } from '../../common/tlp';
import { idOf } from '../../common/global-id';
import { optionalText, pastMoment, requiredText } from '../../common/input';
import { isUniqueViolation } from '../../common/sql';
import { recordIncidentUpdate } from '../events';
import { Incident, IncidentSeverity, IncidentState, IncidentUpdate, IncidentUpdateKind } from './incident.entity';

interface UpdateText {
  message: string;
  source?: string | null;
  authorName?: string | null;
}

interface Labelling {
  tlp?: TlpLabel | null;
  recipientIds?: string[] | null;
}

interface Retry {
  idempotencyKey?: string | null;
}

function checkUpdateText(input: UpdateText) {
  return {
    message: requiredText(input.message, 'message', 5000),
    source: optionalText(input.source, 'source', 2000),
    authorName: optionalText(input.authorName, 'authorName', 200),
  };
}

function checkKey(input: Retry): string | null {
  const key = optionalText(input.idempotencyKey, 'idempotencyKey', 200);
  if (key !== null && key.trim() === '') throw badInput('idempotencyKey must not be empty', 'idempotencyKey');
  return key;
}

/** What a write asked for: a retry asks for the same; another write reusing the key does not. */
function requestHash(operation: string, input: object): string {
  const { idempotencyKey: _key, ...rest } = input as Record<string, unknown>;
  return createHash('sha256').update(JSON.stringify([operation, rest])).digest('hex');
}

/** The update a write with this key appended before, or null. The same key for another request is a CONFLICT. */
async function earlierUpdate(db: EntityManager, ctx: RequestContext, key: string | null, hash: string): Promise<IncidentUpdate | null> {
  if (key === null || ctx.viewer.kind !== 'organisation') return null;
  const first = await db.findOneBy(IncidentUpdate, { authorId: ctx.viewer.organisationId, idempotencyKey: key });
  if (!first) return null;
  if (first.requestHash !== hash) throw new AppError('CONFLICT', 'This idempotencyKey was used for a different request', 'idempotencyKey');
  return first;
}

/**
 * Runs an incident write once per idempotency key: a retry (or a race of two) gets the first result
 * and changes nothing. The unique index on (author, key) decides a race, not a read-then-write.
 */
async function once<T>(
  ctx: RequestContext, operation: string, input: Retry & object,
  write: (db: EntityManager, key: string | null, hash: string) => Promise<T>,
  replay: (first: IncidentUpdate) => Promise<T>,
): Promise<T> {
  const key = checkKey(input);
  const hash = requestHash(operation, input);
  const earlier = await earlierUpdate(ctx.db, ctx, key, hash);
  if (earlier) return replay(earlier);
  try {
    return await ctx.db.transaction((db) => write(db, key, hash));
  } catch (error) {
    if (isUniqueViolation(error)) {
      const raced = await earlierUpdate(ctx.db, ctx, key, hash);
      if (raced) return replay(raced);
    }
    throw error;
  }
}

/** The label of an update: its own, or the incident's (with the incident's recipients when RED). */
async function updateLabel(db: EntityManager, incident: Incident, input: Labelling): Promise<{ tlp: TlpLabel; recipients: string[] }> {
  const tlp = input.tlp ?? incident.tlp;
  if (!input.tlp && !input.recipientIds?.length && tlp === 'RED') {
    return { tlp, recipients: (await recipientRepository.bySubjects(db, 'Incident', [incident.id])).map((r) => r.organisationId) };
  }
  return { tlp, recipients: await checkRecipients(db, tlp, input.recipientIds) };
}

async function appendUpdate(
  db: EntityManager,
  ctx: RequestContext,
  incident: Incident,
  update: {
    kind: IncidentUpdateKind; state: IncidentState; postedAt: Date; message: string; source: string | null; authorName: string | null;
    idempotencyKey: string | null; requestHash: string;
  } & Labelling,
): Promise<IncidentUpdate> {
  const id = randomUUID();
  const { tlp, recipients } = await updateLabel(db, incident, update);
  const { recipientIds: _r, ...row } = update;
  await db.insert(IncidentUpdate, { id, incidentId: incident.id, authorId: ctx.scope.actingOrganisationId, ...row, tlp });
  await recipientRepository.replace(db, 'IncidentUpdate', id, recipients);
  // Every change of an incident appends an update, after the incident row: subscribers hear of it at commit.
  await recordIncidentUpdate(db, incident.id, id);
  return db.findOneByOrFail(IncidentUpdate, { id });
}

async function operatesAffected(db: EntityManager, incidentId: string, organisationId: string): Promise<boolean> {
  const [row] = await db.query(
    `SELECT 1 FROM incident_component ic JOIN component c ON c.id = ic.component_id WHERE ic.incident_id = $1 AND c.operator_id = $2 LIMIT 1`,
    [incidentId, organisationId],
  );
  return row !== undefined;
}

/** Who may write to an incident: the declaring organisation, an operator of an affected component (OPERATOR or VENDOR role), a coordinator. */
async function requireIncidentWriter(db: EntityManager, ctx: RequestContext, incident: Incident, what: string): Promise<void> {
  if (ctx.scope.isCoordinator) return;
  ctx.scope.requireRole(what, 'OPERATOR', 'VENDOR');
  const organisationId = ctx.scope.actingOrganisationId;
  if (incident.declaredById === organisationId) return;
  if (!(await operatesAffected(db, incident.id, organisationId))) throw ctx.scope.denied(what);
}

async function lockOpenIncident(db: EntityManager, globalId: string): Promise<Incident> {
  const id = idOf('Incident', globalId, 'incidentId');
  const [row] = await db.query('SELECT id FROM incident WHERE id = $1 FOR UPDATE', [id]);
  if (!row) throw notFound(`No incident with id ${globalId}`, 'incidentId');
  const incident = await db.findOneByOrFail(Incident, { id });
  if (incident.state === 'RESOLVED') throw new AppError('CONFLICT', 'The incident is resolved; declare a new one if it came back', 'incidentId');
  return incident;
}

/**
 * Consent: an incident names only components its declarer operates (coordinators: any), so nobody
 * can put "compromised" on another organisation's component. Missing ids are NOT_FOUND. Reads through
 * `db`: inside a transaction, the transaction's (the embedded engine has one connection).
 */
async function checkOwnComponents(db: EntityManager, ctx: RequestContext, componentIds: string[], field: string, what = 'Naming another organisation’s component in an incident'): Promise<void> {
  const rows: { id: string; operator_id: string }[] = await db.query('SELECT id, operator_id FROM component WHERE id = ANY($1::uuid[])', [componentIds]);
  if (rows.length !== componentIds.length) throw notFound('An affected component does not exist', field);
  if (ctx.scope.isCoordinator) return;
  const organisationId = ctx.scope.actingOrganisationId;
  if (rows.some((row) => row.operator_id !== organisationId)) throw ctx.scope.denied(what);
}

/** Linked advisories must exist and be readable by the caller (TLP). */
async function checkAdvisories(ctx: RequestContext, advisoryIds: string[]): Promise<void> {
  for (const advisory of await ctx.loaders.advisoryById.loadMany(advisoryIds)) {
    if (advisory instanceof Error) throw advisory;
    if (!advisory) throw notFound('A linked advisory does not exist', 'advisoryIds');
  }
}

function restoration(value: Date | null | undefined, startedAt: Date): Date | null {
  if (value === null || value === undefined) return null;
  if (value.getTime() < startedAt.getTime()) throw badInput('expectedRestorationAt lies before the incident started', 'expectedRestorationAt');
  return value;
}

const incidentOf = (db: EntityManager, id: string) => db.findOneByOrFail(Incident, { id });

export async function declareIncident(
  ctx: RequestContext,
  input: UpdateText & Labelling & Retry & {
    title: string; severity: IncidentSeverity; state?: IncidentState | null; startedAt?: Date | null; affectedComponentIds: string[];
    advisoryIds?: string[] | null; expectedRestorationAt?: Date | null;
  },
): Promise<{ incident: Incident; replayed: boolean }> {
  ctx.scope.requireRole('Declaring incidents', 'OPERATOR', 'VENDOR', 'COORDINATOR');
  const title = requiredText(input.title, 'title', 300);
  const text = checkUpdateText(input);
  const state = input.state ?? 'INVESTIGATING';
  if (state === 'RESOLVED') throw badInput('An incident starts unresolved', 'state');
  const startedAt = pastMoment(input.startedAt, 'startedAt', ctx.now);
  const expectedRestorationAt = restoration(input.expectedRestorationAt, startedAt);
  const componentIds = [...new Set(input.affectedComponentIds.map((id) => idOf('Component', id, 'affectedComponentIds')))];
  if (componentIds.length === 0) throw badInput('Name at least one affected component', 'affectedComponentIds');
  const advisoryIds = [...new Set((input.advisoryIds ?? []).map((id) => idOf('Advisory', id, 'advisoryIds')))];
  const tlp = input.tlp ?? 'AMBER';
  await checkOwnComponents(ctx.db, ctx, componentIds, 'affectedComponentIds');
  await checkAdvisories(ctx, advisoryIds);
  return once(ctx, 'declareIncident', input, async (db, idempotencyKey, requestHash) => {
    const recipients = await checkRecipients(db, tlp, input.recipientIds);
    const id = randomUUID();
    await db.insert(Incident, { id, title, severity: input.severity, state, declaredById: ctx.scope.actingOrganisationId, startedAt, resolvedAt: null, expectedRestorationAt, tlp });
    await db.query('INSERT INTO incident_component (incident_id, component_id) SELECT $1, unnest($2::uuid[])', [id, componentIds]);
    await db.query('INSERT INTO incident_advisory (incident_id, advisory_id) SELECT $1, unnest($2::uuid[])', [id, advisoryIds]);
    await recipientRepository.replace(db, 'Incident', id, recipients);
    const incident = await incidentOf(db, id);
    await appendUpdate(db, ctx, incident, { kind: 'UPDATE', state, postedAt: startedAt, ...text, idempotencyKey, requestHash });
    await recordAudit(db, ctx, { operation: 'declareIncident', entityType: 'Incident', entityId: id });
    return { incident, replayed: false as boolean };
  }, async (first) => ({ incident: await incidentOf(ctx.db, first.incidentId), replayed: true }));
}

export async function postIncidentUpdate(
  ctx: RequestContext,
  input: UpdateText & Labelling & Retry & { incidentId: string; state?: IncidentState | null; postedAt?: Date | null },
): Promise<{ incident: Incident; update: IncidentUpdate; replayed: boolean }> {
  ctx.scope.requireOrganisation('Posting incident updates');
  const text = checkUpdateText(input);
  if (input.state === 'RESOLVED') throw badInput('Resolve an incident with resolveIncident', 'state');
  const postedAt = pastMoment(input.postedAt, 'postedAt', ctx.now);
  return once(ctx, 'postIncidentUpdate', input, async (db, idempotencyKey, requestHash) => {
    const incident = await lockOpenIncident(db, input.incidentId);
    await requireIncidentWriter(db, ctx, incident, 'Posting updates to this incident');
    const state = input.state ?? incident.state;
    await db.update(Incident, { id: incident.id }, { state });
    const update = await appendUpdate(db, ctx, incident, { kind: 'UPDATE', state, postedAt, ...text, tlp: input.tlp, recipientIds: input.recipientIds, idempotencyKey, requestHash });
    await recordAudit(db, ctx, { operation: 'postIncidentUpdate', entityType: 'IncidentUpdate', entityId: update.id });
    return { incident: await incidentOf(db, incident.id), update, replayed: false };
  }, replayUpdate(ctx));
}

const replayUpdate = (ctx: RequestContext) => async (first: IncidentUpdate) =>
  ({ incident: await incidentOf(ctx.db, first.incidentId), update: first, replayed: true });

export async function resolveIncident(
  ctx: RequestContext,
  input: UpdateText & Labelling & Retry & { incidentId: string; resolvedAt?: Date | null },
): Promise<{ incident: Incident; replayed: boolean }> {
  ctx.scope.requireOrganisation('Resolving incidents');
  const text = checkUpdateText(input);
  const resolvedAt = pastMoment(input.resolvedAt, 'resolvedAt', ctx.now);
  return once(ctx, 'resolveIncident', input, async (db, idempotencyKey, requestHash) => {
    const incident = await lockOpenIncident(db, input.incidentId);
    await requireIncidentWriter(db, ctx, incident, 'Resolving this incident');
    if (resolvedAt.getTime() < incident.startedAt.getTime()) throw badInput('resolvedAt lies before the incident started', 'resolvedAt');
    await db.update(Incident, { id: incident.id }, { state: 'RESOLVED', resolvedAt });
    const update = await appendUpdate(db, ctx, incident, { kind: 'UPDATE', state: 'RESOLVED', postedAt: resolvedAt, ...text, tlp: input.tlp, recipientIds: input.recipientIds, idempotencyKey, requestHash });
    await recordAudit(db, ctx, { operation: 'resolveIncident', entityType: 'IncidentUpdate', entityId: update.id });
    return { incident: await incidentOf(db, incident.id), replayed: false as boolean };
  }, async (first) => ({ incident: await incidentOf(ctx.db, first.incidentId), replayed: true }));
}

/**
 * A green light to restart: from a coordinator, or from a vendor for an incident that affects one
 * of its own components ("Monday morning: green light from Centric").
 */
export async function issueClearance(
  ctx: RequestContext,
  input: UpdateText & Labelling & Retry & { incidentId: string; postedAt?: Date | null },
): Promise<{ incident: Incident; update: IncidentUpdate; replayed: boolean }> {
  ctx.scope.requireRole('Issuing a clearance', 'COORDINATOR', 'VENDOR');
  const text = checkUpdateText(input);
  const postedAt = pastMoment(input.postedAt, 'postedAt', ctx.now);
  return once(ctx, 'issueClearance', input, async (db, idempotencyKey, requestHash) => {
    const incident = await lockOpenIncident(db, input.incidentId);
    if (!ctx.scope.isCoordinator && !(await operatesAffected(db, incident.id, ctx.scope.actingOrganisationId))) {
      throw ctx.scope.denied('A clearance for an incident that does not affect your own components');
    }
    await db.update(Incident, { id: incident.id }, { state: 'MONITORING' });
    const update = await appendUpdate(db, ctx, incident, { kind: 'CLEARANCE', state: 'MONITORING', postedAt, ...text, tlp: input.tlp, recipientIds: input.recipientIds, idempotencyKey, requestHash });
    await recordAudit(db, ctx, { operation: 'issueClearance', entityType: 'IncidentUpdate', entityId: update.id });
    return { incident: await incidentOf(db, incident.id), update, replayed: false };
  }, replayUpdate(ctx));
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

/**
 * Changes what an incident says: title, severity, the affected components and linked advisories
 * (each the whole new set), the expected restoration, the label. Sending what it already says
 * changes nothing (`changed: false`), so a retry is harmless; with a message the change also gets a
 * timeline entry, and then the idempotency key makes a retry return the first result.
 */
export async function updateIncident(
  ctx: RequestContext,
  input: Labelling & Retry & {
    incidentId: string; revision?: number | null; title?: string | null; severity?: IncidentSeverity | null;
    affectedComponentIds?: string[] | null; advisoryIds?: string[] | null; expectedRestorationAt?: Date | null;
    message?: string | null; source?: string | null; authorName?: string | null;
  },
): Promise<{ incident: Incident; update: IncidentUpdate | null; changed: boolean }> {
  ctx.scope.requireOrganisation('Updating incidents');
  const title = input.title === undefined || input.title === null ? null : requiredText(input.title, 'title', 300);
  const text = input.message === undefined || input.message === null ? null : checkUpdateText({ message: input.message, source: input.source, authorName: input.authorName });
  const componentIds = input.affectedComponentIds ? [...new Set(input.affectedComponentIds.map((id) => idOf('Component', id, 'affectedComponentIds')))] : null;
  if (componentIds && componentIds.length === 0) throw badInput('Name at least one affected component', 'affectedComponentIds');
  const advisoryIds = input.advisoryIds ? [...new Set(input.advisoryIds.map((id) => idOf('Advisory', id, 'advisoryIds')))] : null;
  if (advisoryIds) await checkAdvisories(ctx, advisoryIds);
  return once(ctx, 'updateIncident', input, async (db, idempotencyKey, requestHash) => {
    const incident = await lockOpenIncident(db, input.incidentId);
    await requireIncidentWriter(db, ctx, incident, 'Updating this incident');
    const organisationId = ctx.scope.actingOrganisationId;
    const mayRelabel = ctx.scope.isCoordinator || incident.declaredById === organisationId;
    const changes: Partial<Incident> = {};
    if (title !== null && title !== incident.title) changes.title = title;
    if (input.severity && input.severity !== incident.severity) changes.severity = input.severity;
    if (input.expectedRestorationAt !== undefined) {
      const expected = restoration(input.expectedRestorationAt, incident.startedAt);
      if ((expected?.getTime() ?? null) !== (incident.expectedRestorationAt?.getTime() ?? null)) changes.expectedRestorationAt = expected;
    }
    const tlp = input.tlp ?? incident.tlp;
    if (tlp !== incident.tlp) changes.tlp = tlp;
    const oldRecipients = (await recipientRepository.bySubjects(db, 'Incident', [incident.id])).map((r) => r.organisationId);
    const recipients = input.recipientIds ? await checkRecipients(db, tlp, input.recipientIds) : tlp === 'RED' ? oldRecipients : [];
    if (tlp === 'RED' && recipients.length === 0) throw badInput('TLP:RED needs at least one named recipient', 'recipientIds');
    const recipientsChanged = !sameSet(recipients, oldRecipients);
    if ((changes.tlp || recipientsChanged) && !mayRelabel) throw ctx.scope.denied('Relabelling an incident you did not declare');

    const current = (await db.query('SELECT component_id FROM incident_component WHERE incident_id = $1', [incident.id])).map((r: { component_id: string }) => r.component_id);
    const added = componentIds ? componentIds.filter((id) => !current.includes(id)) : [];
    const removed = componentIds ? current.filter((id: string) => !componentIds.includes(id)) : [];
    if (added.length) await checkOwnComponents(db, ctx, added, 'affectedComponentIds');
    if (removed.length && !mayRelabel) {
      await checkOwnComponents(db, ctx, removed, 'affectedComponentIds', 'Removing another organisation’s component from an incident you did not declare');
    }
    const linked = (await db.query('SELECT advisory_id FROM incident_advisory WHERE incident_id = $1', [incident.id])).map((r: { advisory_id: string }) => r.advisory_id);
    const advisoriesChanged = advisoryIds !== null && !sameSet(advisoryIds, linked);

    const changed = Object.keys(changes).length > 0 || recipientsChanged || added.length > 0 || removed.length > 0 || advisoriesChanged;
    if (!changed && text === null) return { incident, update: null, changed: false };
    if (changed && input.revision != null && input.revision !== incident.revision) {
      throw new AppError('CONFLICT', `The incident is at revision ${incident.revision}, not ${input.revision}: read it again`, 'revision');
    }
    if (changed) {
      await db.update(Incident, { id: incident.id }, { ...changes, revision: incident.revision + 1 });
      if (added.length) await db.query('INSERT INTO incident_component (incident_id, component_id) SELECT $1, unnest($2::uuid[])', [incident.id, added]);
      if (removed.length) await db.query('DELETE FROM incident_component WHERE incident_id = $1 AND component_id = ANY($2::uuid[])', [incident.id, removed]);
      if (advisoriesChanged) {
        await db.query('DELETE FROM incident_advisory WHERE incident_id = $1', [incident.id]);
        await db.query('INSERT INTO incident_advisory (incident_id, advisory_id) SELECT $1, unnest($2::uuid[])', [incident.id, advisoryIds]);
      }
      if (recipientsChanged) await recipientRepository.replace(db, 'Incident', incident.id, recipients);
    }
    const after = await incidentOf(db, incident.id);
    const update = text === null
      ? null
      : await appendUpdate(db, ctx, after, { kind: 'UPDATE', state: after.state, postedAt: ctx.now, ...text, idempotencyKey, requestHash });
    if (update === null) await recordIncidentUpdate(db, incident.id, null);
    await recordAudit(db, ctx, { operation: 'updateIncident', entityType: 'Incident', entityId: incident.id });
    return { incident: after, update, changed };
  }, async (first) => ({ incident: await incidentOf(ctx.db, first.incidentId), update: first, changed: false }));
}

/**
 * An affected municipality's word on an incident ("seen; the counter tells residents to come back
 * Monday"): a MUNICIPALITY whose picture holds an affected component and that may read the incident.
 */
export async function acknowledgeIncident(
  ctx: RequestContext,
  input: Labelling & Retry & { incidentId: string; message?: string | null; postedAt?: Date | null; source?: string | null; authorName?: string | null },
): Promise<{ incident: Incident; update: IncidentUpdate; replayed: boolean }> {
  ctx.scope.requireRole('Acknowledging incidents', 'MUNICIPALITY');
  const text = checkUpdateText({ message: input.message ?? 'Acknowledged.', source: input.source, authorName: input.authorName });
  const postedAt = pastMoment(input.postedAt, 'postedAt', ctx.now);
  const incidentId = idOf('Incident', input.incidentId, 'incidentId');
  const readable = await ctx.loaders.incidentById.load(incidentId);
  if (!readable) throw notFound(`No incident with id ${input.incidentId}`, 'incidentId');
  const affected = await ctx.unguarded.componentIdsByIncident.load(incidentId);
  const picture = await ctx.scope.visibleComponentIds();
  if (!affected.some((id) => picture.has(id))) throw ctx.scope.denied('Acknowledging an incident that affects nothing of yours');
  return once(ctx, 'acknowledgeIncident', input, async (db, idempotencyKey, requestHash) => {
    const incident = await lockOpenIncident(db, input.incidentId);
    const update = await appendUpdate(db, ctx, incident, {
      kind: 'ACKNOWLEDGEMENT', state: incident.state, postedAt, ...text, tlp: input.tlp, recipientIds: input.recipientIds, idempotencyKey, requestHash,
    });
    await recordAudit(db, ctx, { operation: 'acknowledgeIncident', entityType: 'IncidentUpdate', entityId: update.id });
    return { incident: await incidentOf(db, incident.id), update, replayed: false };
  }, replayUpdate(ctx));
}
