import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { RequestContext } from '../../context';
import { AppError, badInput, notFound } from '../../errors';
import { inWriteTransaction } from '../../db/write-transaction';
import { recordAudit } from '../audit';
import { idOf } from '../../common/global-id';
import { optionalText, requiredText } from '../../common/input';
import { recordStatusChanges } from '../events';
import { pictureKeeper } from '../picture';
import type { EdgeChange } from '../picture';
import { Audience, Component, ComponentKind, Dependency, DependencyKind } from './component.entity';

const HEARTBEAT_MIN = 60;
const HEARTBEAT_MAX = 7 * 24 * 3600;

interface ComponentFields {
  name?: string | null;
  description?: string | null;
  externalRef?: string | null;
  productVendor?: string | null;
  product?: string | null;
  version?: string | null;
  internetFacing?: boolean | null;
  audience?: Audience | null;
  deliveredTo?: string[] | null;
  heartbeatSeconds?: number | null;
  offered?: boolean | null;
}

/** Checks the fields of one kind of component; what a kind does not have must not be given. */
function checkKindFields(kind: ComponentKind, fields: ComponentFields, creating: boolean): void {
  if (kind !== 'GATEWAY') {
    for (const field of ['productVendor', 'product', 'internetFacing'] as const) {
      if (fields[field] !== null && fields[field] !== undefined) throw badInput(`Only gateways have ${field}`, field);
    }
  } else if (creating) {
    if (!fields.productVendor?.trim()) throw badInput('A gateway needs productVendor (e.g. Citrix)', 'productVendor');
    if (!fields.product?.trim()) throw badInput('A gateway needs product (e.g. ADC)', 'product');
    if (fields.internetFacing === null || fields.internetFacing === undefined) throw badInput('A gateway needs internetFacing', 'internetFacing');
  }
  if (kind !== 'SERVICE') {
    if (fields.audience) throw badInput('Only services have an audience', 'audience');
    if (fields.deliveredTo) throw badInput('Only services are delivered to municipalities', 'deliveredTo');
  } else if (creating && !fields.audience) {
    throw badInput('A service needs its audience (RESIDENTS, STAFF or BUSINESSES)', 'audience');
  }
  const heartbeat = fields.heartbeatSeconds;
  if (heartbeat !== null && heartbeat !== undefined && (!Number.isInteger(heartbeat) || heartbeat < HEARTBEAT_MIN || heartbeat > HEARTBEAT_MAX)) {
    throw badInput(`heartbeatSeconds must be from ${HEARTBEAT_MIN} to ${HEARTBEAT_MAX}`, 'heartbeatSeconds');
  }
}

/** An operator's own name for a component: 1 to 200 characters, trimmed; null clears it. */
function externalRefOf(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return requiredText(value, 'externalRef', 200);
}

/** The unique index on (operator, external_ref) speaks as a CONFLICT naming the field. */
async function refusingDuplicateRef<T>(externalRef: string | null, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const cause = (error as { driverError?: { constraint?: string }; constraint?: string });
    if ((cause.driverError?.constraint ?? cause.constraint) === 'component_external_ref') {
      throw new AppError('CONFLICT', `Another of the operator's components already has externalRef "${externalRef}"`, 'externalRef');
    }
    throw error;
  }
}

function requireCurrent(component: Component, what: string): void {
  if (component.retiredAt !== null) throw badInput(`${component.name} was retired on ${component.retiredAt.toISOString()}: ${what}`, 'componentId');
}

async function municipalitiesFor(db: EntityManager, globalIds: string[]): Promise<string[]> {
  const ids = [...new Set(globalIds.map((id) => idOf('Organisation', id, 'deliveredTo')))];
  if (ids.length === 0) return [];
  const rows: { id: string; kind: string }[] = await db.query(`SELECT id, kind FROM organisation WHERE id = ANY($1::uuid[])`, [ids]);
  for (const id of ids) {
    const row = rows.find((r) => r.id === id);
    if (!row) throw notFound(`No organisation with id ${globalIds[ids.indexOf(id)]}`, 'deliveredTo');
    if (row.kind !== 'MUNICIPALITY') throw badInput('A service is delivered to municipalities only', 'deliveredTo');
  }
  return ids;
}

/**
 * A delivery to a municipality that has not consented would put a service on its dashboard and its
 * public page: only the operator itself, a municipality its shared-service organisation serves, or a
 * coordinator deliver without asking; the others are asked with requestDelivery. Deliveries already
 * in force stay. Checked before the write's transaction: the scope reads through the pool, which the
 * embedded engine has one connection of.
 */
async function requireDeliveryConsent(ctx: RequestContext, service: { id: string | null; operatorId: string }, municipalityIds: string[]): Promise<void> {
  const delivered = new Set(service.id === null ? [] : await ctx.unguarded.municipalityIdsByService.load(service.id));
  for (const municipalityId of municipalityIds) {
    if (delivered.has(municipalityId) || (await ctx.scope.mayDeliverWithoutConsent(service, municipalityId))) continue;
    const municipality = await ctx.unguarded.organisationById.load(municipalityId);
    throw new AppError('FORBIDDEN', `Delivering a service to ${municipality?.name ?? 'this municipality'} needs its consent: requestDelivery asks for it`, 'deliveredTo');
  }
}

/** Delivers the service to exactly `municipalityIds` from `now`: deliveries not among them end, new ones begin. */
async function deliverTo(db: EntityManager, serviceId: string, municipalityIds: string[], now: Date): Promise<void> {
  await db.query(
    `UPDATE service_delivery SET delivered_until = $3
      WHERE service_id = $1 AND delivered_until IS NULL AND NOT municipality_id = ANY($2::uuid[])`,
    [serviceId, municipalityIds, now],
  );
  await db.query(
    `INSERT INTO service_delivery (service_id, municipality_id, delivered_from)
     SELECT $1, m, $3 FROM unnest($2::uuid[]) AS m
      WHERE NOT EXISTS (SELECT 1 FROM service_delivery WHERE service_id = $1 AND municipality_id = m AND delivered_until IS NULL)`,
    [serviceId, municipalityIds, now],
  );
}

/** The component's register facts as they are from `now`: history keeps every revision (component_revision). */
async function keepRevision(db: EntityManager, componentId: string, now: Date): Promise<void> {
  await db.query(
    `INSERT INTO component_revision (component_id, revision, valid_from, name, product_vendor, product, version, internet_facing, audience)
     SELECT id, revision, $2, name, product_vendor, product, version, internet_facing, audience FROM component WHERE id = $1`,
    [componentId, now],
  );
}

/** The heartbeat promise in force from `now` (null: none). History keeps the earlier ones. */
async function promiseHeartbeat(db: EntityManager, componentId: string, seconds: number | null, now: Date): Promise<void> {
  await db.query(`INSERT INTO heartbeat_promise (component_id, valid_from, heartbeat_seconds) VALUES ($1, $2, $3)`, [componentId, now, seconds]);
}

export async function registerComponent(ctx: RequestContext, input: ComponentFields & { kind: ComponentKind; name: string; operatorId?: string | null }): Promise<Component> {
  ctx.scope.requireOrganisation('Registering components');
  const operatorId = input.operatorId ? idOf('Organisation', input.operatorId, 'operatorId') : ctx.scope.actingOrganisationId;
  // The check a component's own writes use, applied to the component about to exist.
  ctx.scope.requireOperatorOf({ operatorId }, 'Registering components for another organisation');
  checkKindFields(input.kind, input, true);
  const row = {
    id: randomUUID(),
    kind: input.kind,
    operatorId,
    name: requiredText(input.name, 'name', 200),
    description: optionalText(input.description, 'description', 2000),
    externalRef: externalRefOf(input.externalRef),
    productVendor: input.kind === 'GATEWAY' ? requiredText(input.productVendor, 'productVendor', 100) : null,
    product: input.kind === 'GATEWAY' ? requiredText(input.product, 'product', 100) : null,
    version: optionalText(input.version, 'version', 100),
    internetFacing: input.kind === 'GATEWAY' ? input.internetFacing! : null,
    audience: input.kind === 'SERVICE' ? input.audience! : null,
    heartbeatSeconds: input.heartbeatSeconds ?? null,
    offered: input.offered ?? false,
  };
  const deliveredTo = await municipalitiesFor(ctx.db, input.deliveredTo ?? []);
  await requireDeliveryConsent(ctx, { id: null, operatorId }, deliveredTo);
  return refusingDuplicateRef(row.externalRef, () => inWriteTransaction(ctx.db, async (db) => {
    const now = new Date();
    const [operator]: { id: string }[] = await db.query('SELECT id FROM organisation WHERE id = $1', [operatorId]);
    if (!operator) throw notFound(`No organisation with id ${input.operatorId}`, 'operatorId');
    await db.insert(Component, { ...row, createdAt: now, updatedAt: now });
    await keepRevision(db, row.id, now);
    if (row.heartbeatSeconds !== null) await promiseHeartbeat(db, row.id, row.heartbeatSeconds, now);
    if (input.kind === 'SERVICE') await deliverTo(db, row.id, deliveredTo, now);
    await pictureKeeper.componentRegistered(db, {
      id: row.id, kind: row.kind, audience: row.audience,
      heartbeat: row.heartbeatSeconds === null ? null : { seconds: row.heartbeatSeconds, from: now.getTime() },
    });
    await recordAudit(db, ctx, { operation: 'registerComponent', entityType: 'Component', entityId: row.id });
    return db.findOneByOrFail(Component, { id: row.id });
  }));
}

/**
 * Changes only the fields given, and only if nobody changed the component since the caller read
 * `revision`: a conditional UPDATE that checks the row count, so two operators editing at once never
 * lose an update silently. A new heartbeat or audience is taken into the picture from now; a new
 * list of municipalities ends the deliveries not on it and begins the new ones, now.
 */
export async function updateComponent(ctx: RequestContext, input: ComponentFields & { componentId: string; revision: number }): Promise<Component> {
  const id = idOf('Component', input.componentId, 'componentId');
  const current = await ctx.unguarded.componentById.load(id);
  if (!current) throw notFound(`No component with id ${input.componentId}`, 'componentId');
  ctx.scope.requireOperatorOf(current, 'Changing this component');
  requireCurrent(current, 'it cannot be changed');
  checkKindFields(current.kind, input, false);
  const changes: Record<string, unknown> = {};
  if (input.name !== undefined && input.name !== null) changes.name = requiredText(input.name, 'name', 200);
  if (input.description !== undefined) changes.description = optionalText(input.description, 'description', 2000);
  if (input.externalRef !== undefined) changes.external_ref = externalRefOf(input.externalRef);
  if (input.productVendor !== undefined && input.productVendor !== null) changes.product_vendor = requiredText(input.productVendor, 'productVendor', 100);
  if (input.product !== undefined && input.product !== null) changes.product = requiredText(input.product, 'product', 100);
  if (input.version !== undefined) changes.version = optionalText(input.version, 'version', 100);
  if (input.internetFacing !== undefined && input.internetFacing !== null) changes.internet_facing = input.internetFacing;
  if (input.audience !== undefined && input.audience !== null) changes.audience = input.audience;
  if (input.heartbeatSeconds !== undefined) changes.heartbeat_seconds = input.heartbeatSeconds;
  if (input.offered !== undefined && input.offered !== null) changes.offered = input.offered;
  const columns = Object.keys(changes);
  const deliveredTo = input.deliveredTo ? await municipalitiesFor(ctx.db, input.deliveredTo) : null;
  if (deliveredTo) await requireDeliveryConsent(ctx, current, deliveredTo);
  return refusingDuplicateRef((changes.external_ref as string | null | undefined) ?? null, () => inWriteTransaction(ctx.db, async (db) => {
    const now = new Date();
    const assignments = [...columns.map((column, i) => `${column} = $${i + 4}`), 'revision = revision + 1', 'updated_at = $3'];
    const [, affected] = await db.query(
      `UPDATE component SET ${assignments.join(', ')} WHERE id = $1 AND revision = $2 AND retired_at IS NULL`,
      [id, input.revision, now, ...columns.map((column) => changes[column])],
    );
    if (affected !== 1) {
      const [latest] = await db.query('SELECT revision FROM component WHERE id = $1', [id]);
      throw new AppError('CONFLICT', `The component changed since you read it: revision ${latest.revision}, not ${input.revision}. Read it again and reapply your change.`, 'revision');
    }
    await keepRevision(db, id, now);
    if (deliveredTo) await deliverTo(db, id, deliveredTo, now);
    const heartbeatChanged = 'heartbeat_seconds' in changes && changes.heartbeat_seconds !== current.heartbeatSeconds;
    if (heartbeatChanged) await promiseHeartbeat(db, id, input.heartbeatSeconds ?? null, now);
    const audienceChanged = 'audience' in changes && changes.audience !== current.audience;
    if (heartbeatChanged || audienceChanged) {
      const statusChanges = await pictureKeeper.componentChanged(db, id, {
        ...(heartbeatChanged ? { heartbeat: { seconds: input.heartbeatSeconds ?? null, from: now.getTime() } } : {}),
        ...(audienceChanged ? { audience: input.audience! } : {}),
      }, now);
      await recordStatusChanges(db, statusChanges);
    }
    await recordAudit(db, ctx, { operation: 'updateComponent', entityType: 'Component', entityId: id });
    return db.findOneByOrFail(Component, { id });
  }));
}

/**
 * Adds "componentId depends on dependsOnId" from now. A component of another organisation needs its
 * consent (AccessScope.mayDependWithoutConsent); without it the caller asks with requestDependency.
 */
export async function addDependency(
  ctx: RequestContext,
  input: { componentId: string; dependsOnId: string; kind: DependencyKind; redundancyGroup?: string | null },
): Promise<Dependency> {
  const componentId = idOf('Component', input.componentId, 'componentId');
  const dependsOnId = idOf('Component', input.dependsOnId, 'dependsOnId');
  const [component, dependsOn] = await Promise.all([ctx.unguarded.componentById.load(componentId), ctx.unguarded.componentById.load(dependsOnId)]);
  if (!component) throw notFound(`No component with id ${input.componentId}`, 'componentId');
  if (!dependsOn) throw notFound(`No component with id ${input.dependsOnId}`, 'dependsOnId');
  ctx.scope.requireOperatorOf(component, 'Adding dependencies to this component');
  if (!(await ctx.scope.mayDependWithoutConsent(component, dependsOn))) {
    // The same answer whether or not the component exists beyond the caller's sight would be kinder
    // to secrecy, but ids are unguessable and the caller must know whom to ask.
    throw new AppError('FORBIDDEN', `${component.name} may depend on this component only with its operator's consent: requestDependency asks for it`, 'dependsOnId');
  }
  return inWriteTransaction(ctx.db, async (db) => {
    const dependency = await writeDependency(db, component, dependsOn, { kind: input.kind, redundancyGroup: input.redundancyGroup ?? null }, new Date());
    await recordAudit(db, ctx, { operation: 'addDependency', entityType: 'Dependency', entityId: dependency.id });
    return dependency;
  });
}

/**
 * Writes "component depends on dependsOn" from `now`, for a caller already allowed to (addDependency,
 * or an accepted relation request). An edge that would close a cycle is refused, naming the cycle;
 * the rows locked around it (pictureKeeper.lockAround) make two edges that would close one together
 * take turns, so the second sees the first.
 */
export async function writeDependency(
  db: EntityManager,
  component: Component,
  dependsOn: Component,
  edge: { kind: DependencyKind; redundancyGroup: string | null },
  now: Date,
): Promise<Dependency> {
  if (component.id === dependsOn.id) throw badInput('A component cannot depend on itself', 'dependsOnId');
  const redundancyGroup = edge.redundancyGroup === null ? null : requiredText(edge.redundancyGroup, 'redundancyGroup', 100);
  await pictureKeeper.lockAround(db, component.id, [dependsOn.id]);
  const [current]: { component_retired: boolean; depends_on_retired: boolean }[] = await db.query(
    `SELECT (SELECT retired_at IS NOT NULL FROM component WHERE id = $1) AS component_retired,
            (SELECT retired_at IS NOT NULL FROM component WHERE id = $2) AS depends_on_retired`,
    [component.id, dependsOn.id],
  );
  if (current.component_retired) throw badInput(`${component.name} was retired: it depends on nothing any more`, 'componentId');
  if (current.depends_on_retired) throw badInput(`${dependsOn.name} was retired: nothing can depend on it`, 'dependsOnId');
  const path: { ids: string[] }[] = await db.query(
    `WITH RECURSIVE reach(id, path) AS (
       SELECT $1::uuid, ARRAY[$1::uuid]
       UNION ALL
       SELECT d.depends_on_id, r.path || d.depends_on_id
         FROM dependency d JOIN reach r ON d.component_id = r.id
        WHERE d.removed_at IS NULL AND NOT d.depends_on_id = ANY(r.path)
     )
     SELECT path AS ids FROM reach WHERE id = $2 LIMIT 1`,
    [dependsOn.id, component.id],
  );
  if (path.length > 0) {
    const names = new Map<string, string>((await db.query(`SELECT id, name FROM component WHERE id = ANY($1::uuid[])`, [path[0].ids]))
      .map((row: { id: string; name: string }) => [row.id, row.name]));
    const cycle = [component.id, ...path[0].ids].map((id) => names.get(id) ?? id).join(' → ');
    throw badInput(`This dependency would close a cycle: ${cycle}`, 'dependsOnId');
  }
  const [existing] = await db.query(`SELECT id FROM dependency WHERE component_id = $1 AND depends_on_id = $2 AND removed_at IS NULL`, [component.id, dependsOn.id]);
  if (existing) throw new AppError('CONFLICT', `${component.name} already depends on ${dependsOn.name}`, 'dependsOnId');
  if (redundancyGroup) {
    const [other] = await db.query(
      `SELECT kind FROM dependency WHERE component_id = $1 AND redundancy_group = $2 AND removed_at IS NULL AND kind <> $3 LIMIT 1`,
      [component.id, redundancyGroup, edge.kind],
    );
    if (other) throw badInput(`The members of redundancy group "${redundancyGroup}" are ${other.kind}; one group has one kind`, 'kind');
  }
  const id = randomUUID();
  await db.insert(Dependency, { id, componentId: component.id, dependsOnId: dependsOn.id, kind: edge.kind, redundancyGroup, addedAt: now, removedAt: null });
  const change: EdgeChange = { componentId: component.id, dependsOnId: dependsOn.id, kind: edge.kind, redundancyGroup };
  await recordStatusChanges(db, await pictureKeeper.dependenciesChanged(db, component.id, [change], [], now));
  return db.findOneByOrFail(Dependency, { id });
}

/**
 * Delivers a service to one more municipality from `now`, for a caller already allowed to (an
 * accepted relation request). Delivering it again changes nothing.
 */
export async function deliverService(db: EntityManager, service: Component, municipalityId: string, now: Date): Promise<void> {
  const [current]: { retired: boolean }[] = await db.query(`SELECT retired_at IS NOT NULL AS retired FROM component WHERE id = $1 FOR UPDATE`, [service.id]);
  if (current.retired) throw badInput(`${service.name} was retired: it is delivered to nobody any more`, 'serviceId');
  await db.query(
    `INSERT INTO service_delivery (service_id, municipality_id, delivered_from)
     SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM service_delivery WHERE service_id = $1 AND municipality_id = $2 AND delivered_until IS NULL)`,
    [service.id, municipalityId, now],
  );
}

/** Ends an edge now; the row stays, so `asOf` and uptime still see it for the time it was in force. */
export async function removeDependency(ctx: RequestContext, input: { dependencyId: string }): Promise<Dependency> {
  const id = idOf('Dependency', input.dependencyId, 'dependencyId');
  return inWriteTransaction(ctx.db, async (db) => {
    const dependency = await db.findOneBy(Dependency, { id });
    if (!dependency) throw notFound(`No dependency with id ${input.dependencyId}`, 'dependencyId');
    const component = await db.findOneByOrFail(Component, { id: dependency.componentId });
    ctx.scope.requireOperatorOf(component, 'Removing dependencies of this component');
    if (dependency.removedAt !== null) return dependency;
    const now = new Date();
    const [, ended] = await db.query('UPDATE dependency SET removed_at = $2 WHERE id = $1 AND removed_at IS NULL', [id, now]);
    if (ended === 1) {
      const edge: EdgeChange = { componentId: dependency.componentId, dependsOnId: dependency.dependsOnId, kind: dependency.kind, redundancyGroup: dependency.redundancyGroup };
      await recordStatusChanges(db, await pictureKeeper.dependenciesChanged(db, dependency.componentId, [], [edge], now));
      await recordAudit(db, ctx, { operation: 'removeDependency', entityType: 'Dependency', entityId: id });
    }
    return db.findOneByOrFail(Dependency, { id });
  });
}

/**
 * Retires a component now: it leaves the picture of now (its dependencies end, what depended on it
 * is judged without it, its deliveries end) and stays in history, so answers about earlier moments
 * do not change. Retiring twice returns the retired component.
 */
export async function retireComponent(ctx: RequestContext, input: { componentId: string }): Promise<Component> {
  const id = idOf('Component', input.componentId, 'componentId');
  const component = await ctx.unguarded.componentById.load(id);
  if (!component) throw notFound(`No component with id ${input.componentId}`, 'componentId');
  ctx.scope.requireOperatorOf(component, 'Retiring this component');
  return inWriteTransaction(ctx.db, async (db) => {
    const now = new Date();
    const [, retired] = await db.query('UPDATE component SET retired_at = $2, revision = revision + 1, updated_at = $2 WHERE id = $1 AND retired_at IS NULL', [id, now]);
    if (retired === 1) {
      const [ended]: [{ component_id: string; depends_on_id: string; kind: DependencyKind; redundancy_group: string | null }[], number] = await db.query(
        `UPDATE dependency SET removed_at = $2 WHERE (component_id = $1 OR depends_on_id = $1) AND removed_at IS NULL
         RETURNING component_id, depends_on_id, kind, redundancy_group`,
        [id, now],
      );
      await db.query('UPDATE service_delivery SET delivered_until = $2 WHERE service_id = $1 AND delivered_until IS NULL', [id, now]);
      const edges = ended.map((e): EdgeChange => ({ componentId: e.component_id, dependsOnId: e.depends_on_id, kind: e.kind, redundancyGroup: e.redundancy_group }));
      await recordStatusChanges(db, await pictureKeeper.componentRetired(db, id, edges, now));
      await recordAudit(db, ctx, { operation: 'retireComponent', entityType: 'Component', entityId: id });
    }
    return db.findOneByOrFail(Component, { id });
  });
}
