import type { RequestContext } from '../../context';
import { notFound } from '../../errors';
import { idOf } from '../../common/global-id';
import { decodeCursor, Page, pageSize, toPage } from '../../common/pagination';
import type { Component } from '../component';
import { effectiveStatusesAt, severity } from '../picture';
import type { ComponentStatus } from '../../common/vocabulary';
import { Advisory } from './advisory.entity';
import { ExposureGroupModel } from './advisory.models';
import { advisoryRepository } from './advisory.repository';
import { versionInRange } from './version-range';

export async function findAdvisory(ctx: RequestContext, globalId: string): Promise<Advisory> {
  const advisory = await ctx.loaders.advisoryById.load(idOf('Advisory', globalId));
  if (!advisory) throw notFound(`No advisory with id ${globalId}`, 'id');
  return advisory;
}

export async function listAdvisories(
  ctx: RequestContext,
  args: { first?: number | null; after?: string | null; publisherId?: string },
): Promise<Page<Advisory>> {
  ctx.scope.requireOrganisation('Advisories');
  const size = pageSize(args.first, 20);
  const cursor = decodeCursor(args.after, ['timestamp', 'uuid']);
  const { rows, totalCount } = await advisoryRepository.page(
    ctx.db,
    { publisherId: args.publisherId },
    cursor ? { publishedAt: cursor[0] as string, id: cursor[1] as string } : null,
    size + 1,
  );
  for (const row of rows) ctx.loaders.advisoryById.prime(row.id, row);
  return toPage(rows, size, (row) => [row.publishedAt.toISOString(), row.id], totalCount, cursor !== null);
}

/** Gateways whose product and version fall in one of the advisory's affected ranges. */
export async function exposedGateways(ctx: RequestContext, advisoryId: string): Promise<Component[]> {
  const ranges = await ctx.loaders.affectedProductsByAdvisory.load(advisoryId);
  const candidates = await advisoryRepository.gatewaysOfProducts(ctx.db, ranges);
  return candidates.filter((gateway) =>
    ranges.some((range) =>
      range.productVendor.toLowerCase() === gateway.productVendor?.toLowerCase()
      && range.product.toLowerCase() === gateway.product?.toLowerCase()
      && versionInRange(gateway.version, range.versionFrom, range.versionTo)));
}

/** Exposed gateways grouped by effective status at `asOf`, worst groups first. */
export async function exposureByStatus(ctx: RequestContext, advisoryId: string, asOf: Date | null): Promise<ExposureGroupModel[]> {
  const exposed = await exposedGateways(ctx, advisoryId);
  // A coordinator sees every exposed gateway; an organisation, those in its own picture.
  const visible = ctx.scope.isCoordinator ? null : await ctx.scope.visibleComponentIds();
  const gateways = visible ? exposed.filter((g) => visible.has(g.id)) : exposed;
  for (const gateway of gateways) ctx.loaders.componentById.prime(gateway.id, gateway);
  const statuses = await effectiveStatusesAt(ctx, gateways.map((g) => g.id), asOf);
  const groups = new Map<ComponentStatus, string[]>();
  for (const gateway of gateways) {
    const status = statuses.get(gateway.id)!;
    groups.set(status, [...(groups.get(status) ?? []), gateway.id]);
  }
  return [...groups.entries()]
    .map(([status, gatewayIds]) => ({ status, gatewayIds }))
    .sort((a, b) => severity(b.status) - severity(a.status));
}
