import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { RequestContext } from '../../context';
import { AppError, badInput, notFound } from '../../errors';
import { recordAudit } from '../access';
import { idOf } from '../../common/global-id';
import { optionalText, requiredText } from '../../common/input';
import { Organisation } from '../organisation/organisation.entity';
import { Audience, Component, ComponentKind, Dependency, DependencyKind, ServiceDelivery } from './component.entity';
import { livePictureStateBefore, rejudgeInLivePicture } from '../status/live-picture';

const HEARTBEAT_MIN = 60;
const HEARTBEAT_MAX = 7 * 24 * 3600;

interface ComponentFields {
  name?: string | null;
  description?: string | null;
  productVendor?: string | null;
  product?: string | null;
  version?: string | null;
  internetFacing?: boolean | null;
  audience?: Audience | null;
  deliveredTo?: string[] | null;
  heartbeatSeconds?: number | null;
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

async function replaceDeliveries(db: EntityManager, serviceId: string, municipalityIds: string[]): Promise<void> {
  await db.query('DELETE FROM service_delivery WHERE service_id = $1', [serviceId]);
  for (const municipalityId of municipalityIds) await db.insert(ServiceDelivery, { serviceId, municipalityId });
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
    productVendor: input.kind === 'GATEWAY' ? requiredText(input.productVendor, 'productVendor', 100) : null,
    product: input.kind === 'GATEWAY' ? requiredText(input.product, 'product', 100) : null,
    version: optionalText(input.version, 'version', 100),
    internetFacing: input.kind === 'GATEWAY' ? input.internetFacing! : null,
    audience: input.kind === 'SERVICE' ? input.audience! : null,
    heartbeatSeconds: input.heartbeatSeconds ?? null,
  };
  return ctx.db.transaction(async (db) => {
    if (!(await db.findOneBy(Organisation, { id: operatorId }))) throw notFound(`No organisation with id ${input.operatorId}`, 'operatorId');
    const deliveredTo = await municipalitiesFor(db, input.deliveredTo ?? []);
    await db.insert(Component, row);
    if (input.kind === 'SERVICE') await replaceDeliveries(db, row.id, deliveredTo);
    await recordAudit(db, ctx, { operation: 'registerComponent', entityType: 'Component', entityId: row.id });
    return db.findOneByOrFail(Component, { id: row.id });
  });
}

/**
 * Changes only the fields given, and only if nobody changed the component since the caller read
 * `revision`: a conditional UPDATE that checks the row count, so two operators editing at once never
 * lose an update silently.
 */
export async function updateComponent(ctx: RequestContext, input: ComponentFields & { componentId: string; revision: number }): Promise<Component> {
  const id = idOf('Component', input.componentId, 'componentId');
  const current = await ctx.unguarded.componentById.load(id);
  if (!current) throw notFound(`No component with id ${input.componentId}`, 'componentId');
  ctx.scope.requireOperatorOf(current, 'Changing this component');
  checkKindFields(current.kind, input, false);
  const changes: Record<string, unknown> = {};
  if (input.name !== undefined && input.name !== null) changes.name = requiredText(input.name, 'name', 200);
  if (input.description !== undefined) changes.description = optionalText(input.description, 'description', 2000);
  if (input.productVendor !== undefined && input.productVendor !== null) changes.product_vendor = requiredText(input.productVendor, 'productVendor', 100);
  if (input.product !== undefined && input.product !== null) changes.product = requiredText(input.product, 'product', 100);
  if (input.version !== undefined) changes.version = optionalText(input.version, 'version', 100);
  if (input.internetFacing !== undefined && input.internetFacing !== null) changes.internet_facing = input.internetFacing;
  if (input.audience !== undefined && input.audience !== null) changes.audience = input.audience;
  if (input.heartbeatSeconds !== undefined) changes.heartbeat_seconds = input.heartbeatSeconds;
  const columns = Object.keys(changes);
  return ctx.db.transaction(async (db) => {
    const pictureBefore = await livePictureStateBefore(db);
    const deliveredTo = input.deliveredTo ? await municipalitiesFor(db, input.deliveredTo) : null;
    const assignments = [...columns.map((column, i) => `${column} = $${i + 3}`), 'revision = revision + 1', 'updated_at = now()'];
    const [, affected] = await db.query(
      `UPDATE component SET ${assignments.join(', ')} WHERE id = $1 AND revision = $2`,
      [id, input.revision, ...columns.map((column) => changes[column])],
    );
    if (affected !== 1) {
      const [now] = await db.query('SELECT revision FROM component WHERE id = $1', [id]);
      throw new AppError('CONFLICT', `The component changed since you read it: revision ${now.revision}, not ${input.revision}. Read it again and reapply your change.`, 'revision');
    }
    if (deliveredTo) await replaceDeliveries(db, id, deliveredTo);
    // A changed heartbeat changes when this component and what depends on it go stale.
    if (columns.includes('heartbeat_seconds')) await rejudgeInLivePicture(db, id, pictureBefore);
    await recordAudit(db, ctx, { operation: 'updateComponent', entityType: 'Component', entityId: id });
    return db.findOneByOrFail(Component, { id });
  });
}

/** Refuses an edge that would close a cycle, naming the cycle. Graph writes are serialised so two edges cannot close one together. */
export async function addDependency(
  ctx: RequestContext,
  input: { componentId: string; dependsOnId: string; kind: DependencyKind; redundancyGroup?: string | null },
): Promise<Dependency> {
  const componentId = idOf('Component', input.componentId, 'componentId');
  const dependsOnId = idOf('Component', input.dependsOnId, 'dependsOnId');
  if (componentId === dependsOnId) throw badInput('A component cannot depend on itself', 'dependsOnId');
  const redundancyGroup = input.redundancyGroup === null || input.redundancyGroup === undefined ? null : requiredText(input.redundancyGroup, 'redundancyGroup', 100);
  const [component, dependency] = await Promise.all([ctx.unguarded.componentById.load(componentId), ctx.unguarded.componentById.load(dependsOnId)]);
  if (!component) throw notFound(`No component with id ${input.componentId}`, 'componentId');
  if (!dependency) throw notFound(`No component with id ${input.dependsOnId}`, 'dependsOnId');
  ctx.scope.requireOperatorOf(component, 'Adding dependencies to this component');
  return ctx.db.transaction(async (db) => {
    await db.query(`SELECT pg_advisory_xact_lock(hashtext('ketenbeeld:dependency-graph'))`);
    const path: { ids: string[] }[] = await db.query(
      `WITH RECURSIVE reach(id, path) AS (
         SELECT $1::uuid, ARRAY[$1::uuid]
         UNION ALL
         SELECT d.depends_on_id, r.path || d.depends_on_id
           FROM dependency d JOIN reach r ON d.component_id = r.id
          WHERE d.removed_at IS NULL AND NOT d.depends_on_id = ANY(r.path)
       )
       SELECT path AS ids FROM reach WHERE id = $2 LIMIT 1`,
      [dependsOnId, componentId],
    );
    if (path.length > 0) {
      const names = new Map<string, string>((await db.query(`SELECT id, name FROM component WHERE id = ANY($1::uuid[])`, [path[0].ids]))
        .map((row: { id: string; name: string }) => [row.id, row.name]));
      const cycle = [component.id, ...path[0].ids].map((id) => names.get(id) ?? id).join(' → ');
      throw badInput(`This dependency would close a cycle: ${cycle}`, 'dependsOnId');
    }
    const [existing] = await db.query(`SELECT id FROM dependency WHERE component_id = $1 AND depends_on_id = $2 AND removed_at IS NULL`, [componentId, dependsOnId]);
    if (existing) throw new AppError('CONFLICT', `${component.name} already depends on ${dependency.name}`, 'dependsOnId');
    if (redundancyGroup) {
      const [other] = await db.query(
        `SELECT kind FROM dependency WHERE component_id = $1 AND redundancy_group = $2 AND removed_at IS NULL AND kind <> $3 LIMIT 1`,
        [componentId, redundancyGroup, input.kind],
      );
      if (other) throw badInput(`The members of redundancy group "${redundancyGroup}" are ${other.kind}; one group has one kind`, 'kind');
    }
    const id = randomUUID();
    const pictureBefore = await livePictureStateBefore(db);
    await db.insert(Dependency, { id, componentId, dependsOnId, kind: input.kind, redundancyGroup, addedAt: new Date(), removedAt: null });
    await rejudgeInLivePicture(db, componentId, pictureBefore);
    await recordAudit(db, ctx, { operation: 'addDependency', entityType: 'Dependency', entityId: id });
    return db.findOneByOrFail(Dependency, { id });
  });
}

/** Ends an edge; the row stays, so `asOf` can rebuild the picture before the removal. */
export async function removeDependency(ctx: RequestContext, input: { dependencyId: string }): Promise<Dependency> {
  const id = idOf('Dependency', input.dependencyId, 'dependencyId');
  return ctx.db.transaction(async (db) => {
    const dependency = await db.findOneBy(Dependency, { id });
    if (!dependency) throw notFound(`No dependency with id ${input.dependencyId}`, 'dependencyId');
    const component = await db.findOneByOrFail(Component, { id: dependency.componentId });
    ctx.scope.requireOperatorOf(component, 'Removing dependencies of this component');
    if (dependency.removedAt !== null) return dependency;
    const pictureBefore = await livePictureStateBefore(db);
    await db.query('UPDATE dependency SET removed_at = now() WHERE id = $1 AND removed_at IS NULL', [id]);
    await rejudgeInLivePicture(db, dependency.componentId, pictureBefore);
    await recordAudit(db, ctx, { operation: 'removeDependency', entityType: 'Dependency', entityId: id });
    return db.findOneByOrFail(Dependency, { id });
  });
}
