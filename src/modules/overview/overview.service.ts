import type { RequestContext } from '../../context';
import { exposedGateways, advisoryRepository } from '../advisory';
import { findComponent } from '../component';
import type { ComponentKind } from '../component';
import { severity, StatusPicture, statusRepository } from '../status';
import type { ComponentStatus, ServiceAvailabilityModel } from '../status';
import { isOutage } from '../status/status.rules';
import { ImpactReportModel, NationalOverviewModel, SilentOrganisationModel } from './overview.models';
import { overviewRepository } from './overview.repository';
import { residentsAffected } from './residents';

/** The national picture at `asOf`: one pass of the status engine over the whole graph. */
export async function nationalOverview(ctx: RequestContext, asOf: Date): Promise<NationalOverviewModel> {
  ctx.scope.requireRole('The national overview', 'COORDINATOR');
  const [graph, components, deliveries] = await Promise.all([
    statusRepository.wholeGraphAt(ctx.db, asOf),
    overviewRepository.componentSummaries(ctx.db),
    overviewRepository.deliveries(ctx.db, null),
  ]);
  const picture = new StatusPicture(graph, asOf);
  const statusOf = (id: string) => picture.effective(id).status;

  const byStatus = new Map<ComponentStatus, number>();
  const byKind = new Map<string, { kind: ComponentKind; status: ComponentStatus; count: number }>();
  const byProduct = new Map<string, { vendor: string; product: string; version: string | null; status: ComponentStatus; count: number }>();
  for (const component of components) {
    const status = statusOf(component.id);
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    const kindKey = `${component.kind}|${status}`;
    const kindCount = byKind.get(kindKey) ?? { kind: component.kind, status, count: 0 };
    kindCount.count += 1;
    byKind.set(kindKey, kindCount);
    if (component.kind === 'GATEWAY') {
      const productKey = JSON.stringify([component.productVendor, component.product, component.version, status]);
      const productCount = byProduct.get(productKey)
        ?? { vendor: component.productVendor!, product: component.product!, version: component.version, status, count: 0 };
      productCount.count += 1;
      byProduct.set(productKey, productCount);
    }
  }

  const withOutage = new Set<string>();
  for (const delivery of deliveries) if (isOutage(statusOf(delivery.serviceId))) withOutage.add(delivery.municipalityId);

  return {
    asOf,
    componentsByStatus: [...byStatus.entries()].map(([status, count]) => ({ status, count })).sort(worstFirst),
    componentsByKind: [...byKind.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.status.localeCompare(b.status)),
    gatewaysByProduct: [...byProduct.values()].sort((a, b) =>
      a.vendor.localeCompare(b.vendor) || a.product.localeCompare(b.product)
      || (a.version ?? '').localeCompare(b.version ?? '', undefined, { numeric: true }) || a.status.localeCompare(b.status)),
    municipalityIdsWithOutage: [...withOutage],
    residentsAffected: residentsAffected(deliveries, statusOf),
    silentSince: await silentSinceAdvisories(ctx, asOf),
  };
}

/** Worst first, so a coordinator reads the outages before the good news. */
function worstFirst(a: { status: ComponentStatus }, b: { status: ComponentStatus }): number {
  return severity(b.status) - severity(a.status);
}

/**
 * Operators of gateways exposed to an advisory who have reported nothing since it was published.
 * Silence is information: these are the organisations a coordinator should phone.
 */
async function silentSinceAdvisories(ctx: RequestContext, asOf: Date): Promise<SilentOrganisationModel[]> {
  const advisories = await advisoryRepository.publishedUpTo(ctx.db, asOf);
  const exposedOperators = await Promise.all(advisories.map(async (advisory) => {
    const gateways = await exposedGateways(ctx, advisory.id);
    return { advisory, operatorIds: [...new Set(gateways.map((g) => g.operatorId))] };
  }));
  const everyOperator = [...new Set(exposedOperators.flatMap((e) => e.operatorIds))];
  if (everyOperator.length === 0) return [];
  const lastReported = await overviewRepository.lastReportedAt(ctx.db, everyOperator, asOf);
  const silent: SilentOrganisationModel[] = [];
  for (const { advisory, operatorIds } of exposedOperators) {
    for (const organisationId of operatorIds) {
      const last = lastReported.get(organisationId) ?? null;
      if (last === null || last.getTime() < advisory.publishedAt.getTime()) {
        silent.push({ organisationId, advisory, lastReportedAt: last });
      }
    }
  }
  return silent;
}

/**
 * What-if: every service that depends on the component, judged as if the component had `status`
 * now. Reads only; nothing is written.
 */
export async function impact(ctx: RequestContext, componentGlobalId: string, status: ComponentStatus): Promise<ImpactReportModel> {
  const component = await findComponent(ctx, componentGlobalId, 'componentId');
  if (!ctx.scope.isCoordinator && ctx.scope.organisationId !== component.operatorId) {
    throw ctx.scope.denied('A what-if on another organisation’s component');
  }
  const asOf = ctx.now;
  const above = await statusRepository.idsAbove(ctx.db, component.id, asOf);
  const [graph, deliveries] = await Promise.all([
    statusRepository.graphBelow(ctx.db, above, asOf, 'latest'),
    overviewRepository.deliveries(ctx.db, above),
  ]);
  const picture = new StatusPicture(graph, asOf, { componentId: component.id, status });
  // The totals are the operator's to know; the list names only services in the caller's own picture
  // (a vendor learns how many residents depend on it, not its customers' service catalogue).
  const visible = ctx.scope.isCoordinator ? null : await ctx.scope.visibleComponentIds();
  const affected: ServiceAvailabilityModel[] = [];
  const municipalityIds = new Set<string>();
  for (const delivery of deliveries) {
    const effective = picture.effective(delivery.serviceId);
    if (effective.status === 'OPERATIONAL') continue;
    municipalityIds.add(delivery.municipalityId);
    if (visible && !visible.has(delivery.serviceId)) continue;
    affected.push({ serviceId: delivery.serviceId, municipalityId: delivery.municipalityId, effective, timeline: null, asOf });
  }
  return {
    componentId: component.id,
    status,
    affected,
    municipalityIds: [...municipalityIds],
    residentsAffected: residentsAffected(deliveries, (id) => picture.effective(id).status),
  };
}
