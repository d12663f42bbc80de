import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../context';
import { AppError, badInput, notFound } from '../../errors';
import { idOf } from '../../common/global-id';
import { connectionOf, decodeCursor, Page, pageSize } from '../../common/pagination';
import { recordAudit } from '../audit';
import { newestChangeEventSeq } from '../events';
import { checkCbsCode } from '../organisation';
import type { Role } from '../access';
import { DestinationRefused } from '../../platform/outbound-destination';
import { WEBHOOK_KINDS, WebhookEventKind } from './webhook.kinds';
import { EndpointFields, webhookRepository, WebhookDelivery, WebhookEndpoint } from './webhook.repository';
import { newSecret } from './webhook.sender';
import { wakeWebhookWorkers } from './webhook.wakers';

/** Endpoints one organisation may have: enough for every system it runs, not a fan-out amplifier. */
export const MAX_ENDPOINTS_PER_ORGANISATION = 50;
const MAX_DESCRIPTION = 500;
const MAX_URL = 2000;
const MAX_FILTER_ENTRIES = 500;

export interface FilterInput {
  municipalityCbsCodes?: string[] | null;
  componentIds?: string[] | null;
  kinds?: string[] | null;
}

/** The caller's organisation and role: the endpoint receives what it may read with that role. */
function ownerOf(ctx: RequestContext, what: string): { id: string; role: Role } {
  ctx.scope.requireOrganisation(what);
  const viewer = ctx.viewer as Extract<typeof ctx.viewer, { kind: 'organisation' }>;
  return { id: viewer.organisationId, role: viewer.role };
}

async function checkedUrl(ctx: RequestContext, url: string): Promise<string> {
  if (url.length > MAX_URL) throw badInput(`url may be at most ${MAX_URL} characters`, 'url');
  try {
    return (await ctx.destinations.check(url)).url.toString();
  } catch (error) {
    if (error instanceof DestinationRefused) throw badInput(`url ${error.message}`, 'url');
    throw error;
  }
}

/** Reads go before the transaction: on the embedded engine's one connection a loader inside it would wait forever. */
async function checkedFilter(ctx: RequestContext, filter: FilterInput | null | undefined): Promise<Pick<EndpointFields, 'eventKinds' | 'municipalityIds' | 'componentIds'>> {
  const codes = [...new Set(filter?.municipalityCbsCodes ?? [])];
  const componentGlobalIds = [...new Set(filter?.componentIds ?? [])];
  if (codes.length > MAX_FILTER_ENTRIES || componentGlobalIds.length > MAX_FILTER_ENTRIES) {
    throw badInput(`A filter names at most ${MAX_FILTER_ENTRIES} municipalities and ${MAX_FILTER_ENTRIES} components`, 'filter');
  }
  const municipalityIds: string[] = [];
  for (const code of codes) {
    const municipality = await ctx.loaders.organisationByCbsCode.load(checkCbsCode(code, 'filter.municipalityCbsCodes'));
    if (!municipality || municipality.kind !== 'MUNICIPALITY') throw notFound(`No municipality with CBS code ${code}`, 'filter.municipalityCbsCodes');
    municipalityIds.push(municipality.id);
  }
  const componentIds: string[] = [];
  for (const globalId of componentGlobalIds) {
    const id = idOf('Component', globalId, 'filter.componentIds');
    if (!(await ctx.unguarded.componentById.load(id))) throw notFound(`No component with id ${globalId}`, 'filter.componentIds');
    // The same question statusChanged asks of a component followed by id.
    if (!(await ctx.scope.mayReadComponentDetails(id))) throw ctx.scope.denied('Following the status of this component');
    componentIds.push(id);
  }
  const eventKinds = [...new Set(filter?.kinds ?? [])];
  for (const kind of eventKinds) if (!(kind in WEBHOOK_KINDS)) throw badInput(`${kind} is not a webhook event kind`, 'filter.kinds');
  return { eventKinds: eventKinds as WebhookEventKind[], municipalityIds, componentIds };
}

function checkedDescription(description: string | null | undefined): string | null {
  if (description === null || description === undefined) return null;
  if (description.length > MAX_DESCRIPTION) throw badInput(`description may be at most ${MAX_DESCRIPTION} characters`, 'description');
  return description;
}

export async function createWebhookEndpoint(ctx: RequestContext, input: { url: string; description?: string | null; filter?: FilterInput | null }): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const owner = ownerOf(ctx, 'Registering a webhook endpoint');
  const fields: EndpointFields = { url: await checkedUrl(ctx, input.url), description: checkedDescription(input.description), ...(await checkedFilter(ctx, input.filter)) };
  const secret = newSecret();
  return ctx.db.transaction(async (db) => {
    const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM webhook_endpoint WHERE owner_id = $1`, [owner.id]);
    if (count >= MAX_ENDPOINTS_PER_ORGANISATION) throw new AppError('CONFLICT', `An organisation may have at most ${MAX_ENDPOINTS_PER_ORGANISATION} webhook endpoints`);
    // From the newest change on: an endpoint never receives what happened before it existed. Taken
    // once a fan-out in progress has finished, so that no fan-out reads past that change without it.
    await webhookRepository.waitForFanout(db);
    const endpoint = await webhookRepository.insertEndpoint(db, owner, fields, secret, await newestChangeEventSeq(db), ctx.now);
    await recordAudit(db, ctx, { operation: 'createWebhookEndpoint', entityType: 'WebhookEndpoint', entityId: endpoint.id });
    return { endpoint, secret };
  });
}

/** The endpoint locked for a write by its owner, or NOT_FOUND / FORBIDDEN. */
async function ownEndpoint(db: EntityManager, ctx: RequestContext, id: string, what: string): Promise<WebhookEndpoint> {
  const endpoint = await webhookRepository.lockEndpoint(db, id);
  if (!endpoint) throw notFound(`No webhook endpoint with id ${id}`, 'id');
  if (endpoint.ownerId !== ctx.scope.organisationId) throw ctx.scope.denied(what);
  return endpoint;
}

export async function updateWebhookEndpoint(
  ctx: RequestContext,
  input: { id: string; url?: string | null; description?: string | null; filter?: FilterInput | null },
): Promise<WebhookEndpoint> {
  const owner = ownerOf(ctx, 'Changing a webhook endpoint');
  const id = idOf('WebhookEndpoint', input.id);
  const url = input.url === null || input.url === undefined ? null : await checkedUrl(ctx, input.url);
  const filter = input.filter === null || input.filter === undefined ? null : await checkedFilter(ctx, input.filter);
  const description = input.description === undefined ? undefined : checkedDescription(input.description);
  return ctx.db.transaction(async (db) => {
    const endpoint = await ownEndpoint(db, ctx, id, 'Changing this webhook endpoint');
    const fields: EndpointFields = {
      url: url ?? endpoint.url,
      description: description === undefined ? endpoint.description : description,
      eventKinds: filter?.eventKinds ?? endpoint.eventKinds,
      municipalityIds: filter?.municipalityIds ?? endpoint.municipalityIds,
      componentIds: filter?.componentIds ?? endpoint.componentIds,
    };
    // Whoever points it somewhere else decides what it receives: the changer's role from now on.
    const updated = await webhookRepository.updateEndpoint(db, id, fields, owner.role, ctx.now);
    await recordAudit(db, ctx, { operation: 'updateWebhookEndpoint', entityType: 'WebhookEndpoint', entityId: id });
    return updated;
  });
}

export async function rotateWebhookSecret(ctx: RequestContext, input: { id: string }): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  ownerOf(ctx, 'Rotating a webhook secret');
  const id = idOf('WebhookEndpoint', input.id);
  const secret = newSecret();
  return ctx.db.transaction(async (db) => {
    await ownEndpoint(db, ctx, id, 'Rotating the secret of this webhook endpoint');
    const endpoint = await webhookRepository.setSecret(db, id, secret, ctx.now);
    await recordAudit(db, ctx, { operation: 'rotateWebhookSecret', entityType: 'WebhookEndpoint', entityId: id });
    return { endpoint, secret };
  });
}

export async function setWebhookEndpointEnabled(ctx: RequestContext, input: { id: string }, enabled: boolean): Promise<WebhookEndpoint> {
  ownerOf(ctx, enabled ? 'Enabling a webhook endpoint' : 'Disabling a webhook endpoint');
  const id = idOf('WebhookEndpoint', input.id);
  const operation = enabled ? 'enableWebhookEndpoint' : 'disableWebhookEndpoint';
  const endpoint = await ctx.db.transaction(async (db) => {
    await ownEndpoint(db, ctx, id, enabled ? 'Enabling this webhook endpoint' : 'Disabling this webhook endpoint');
    const changed = await webhookRepository.setEnabled(db, id, enabled, enabled ? null : 'disabled by its organisation', ctx.now);
    await recordAudit(db, ctx, { operation, entityType: 'WebhookEndpoint', entityId: id });
    return changed;
  });
  // Its held deliveries are due now.
  if (enabled) wakeWebhookWorkers();
  return endpoint;
}

export async function deleteWebhookEndpoint(ctx: RequestContext, input: { id: string }): Promise<string> {
  ownerOf(ctx, 'Deleting a webhook endpoint');
  const id = idOf('WebhookEndpoint', input.id);
  return ctx.db.transaction(async (db) => {
    await ownEndpoint(db, ctx, id, 'Deleting this webhook endpoint');
    await webhookRepository.deleteEndpoint(db, id);
    await recordAudit(db, ctx, { operation: 'deleteWebhookEndpoint', entityType: 'WebhookEndpoint', entityId: id });
    return input.id;
  });
}

export async function redeliverWebhook(ctx: RequestContext, input: { deliveryId: string }): Promise<WebhookDelivery> {
  ownerOf(ctx, 'Redelivering a webhook');
  const deliveryId = idOf('WebhookDelivery', input.deliveryId, 'deliveryId');
  // Read and checked before the transaction (the guarded loader refuses another organisation's).
  const original = await ctx.loaders.webhookDeliveryById.load(deliveryId);
  if (!original) throw notFound(`No webhook delivery with id ${input.deliveryId}`, 'deliveryId');
  if (original.state === 'PENDING') throw new AppError('CONFLICT', 'This delivery has not been given up or delivered yet; it will be attempted again by itself', 'deliveryId');
  const delivery = await ctx.db.transaction(async (db) => {
    await ownEndpoint(db, ctx, original.endpointId, 'Redelivering to this webhook endpoint');
    const queued = await webhookRepository.queueRedelivery(db, original, ctx.now);
    await recordAudit(db, ctx, { operation: 'redeliverWebhook', entityType: 'WebhookDelivery', entityId: queued.id });
    return queued;
  });
  wakeWebhookWorkers();
  return delivery;
}

export async function listWebhookEndpoints(ctx: RequestContext, args: { first?: number | null; after?: string | null }): Promise<Page<WebhookEndpoint>> {
  const owner = ownerOf(ctx, 'Webhook endpoints');
  const size = pageSize(args.first);
  const cursor = decodeCursor(args.after, ['timestamp', 'uuid']);
  const after = cursor ? { createdAt: cursor[0] as string, id: cursor[1] as string } : null;
  const { rows, total } = await webhookRepository.endpointsOfOwner(ctx.db, owner.id, after, size);
  return connectionOf(rows.slice(0, size), rows.length > size, (e) => [e.createdAt.toISOString(), e.id], total, after !== null);
}

export async function deliveryLog(ctx: RequestContext, endpoint: WebhookEndpoint, args: { first?: number | null; after?: string | null }): Promise<Page<WebhookDelivery>> {
  const size = pageSize(args.first);
  const cursor = decodeCursor(args.after, ['number']);
  const after = cursor ? (cursor[0] as number) : null;
  const page = await ctx.loaders.webhookDeliveryPage.load({ endpointId: endpoint.id, limit: size, after });
  return connectionOf(page.rows.slice(0, size), page.rows.length > size, (d) => [d.queued], page.total, after !== null);
}
