import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../context';
import { loadExisting } from '../../common/batch';
import { exposedGateways, advisoryRepository } from '../advisory';
import { findComponent } from '../component';
import type { Component } from '../component';
import type { ComponentKind } from '../component';
import { livePictureFor, livePictureRepository, liveWhatIfGraph, severity, StatusPicture, statusRepository } from '../status';
import type { ComponentStatus, Effective, ServiceAvailabilityModel } from '../status';
import { isOutage } from '../status/status.rules';
import { ImpactReportModel, NationalOverviewModel, SilentOrganisationModel } from './overview.models';
import { Delivery, overviewRepository } from './overview.repository';
import { residentsAffected } from './residents';

interface Counts {
  componentsByStatus: { status: ComponentStatus; count: number }[];
  componentsByKind: { kind: ComponentKind; status: ComponentStatus; count: number }[];
  gatewaysByProduct: Awaited<ReturnType<NationalOverviewModel['gatewaysByProduct']>>;
  municipalityIdsWithOutage: string[];
  residentsAffected: number;
}

type Parts = Omit<NationalOverviewModel, 'asOf' | 'silentSince'>;

/**
 * The national picture at `asOf`. Now (or any moment after the newest fact) each part is one
 * aggregate statement over the stored live picture, run when a field asks for it; a moment in the
 * past is judged from the reports, one pass of the status engine over the whole graph.
 */
export async function nationalOverview(ctx: RequestContext, asOf: Date): Promise<NationalOverviewModel> {
  ctx.scope.requireRole('The national overview', 'COORDINATOR');
  const parts = await livePictureFor(ctx.db, asOf) ? countedFromLivePicture(ctx) : judgedFromReports(ctx, asOf);
  return { asOf, ...parts, silentSince: once(() => silentSinceAdvisories(ctx, asOf)) };
}

/** `read` the first time the part is asked for; the same answer after that. */
function once<T>(read: () => Promise<T>): () => Promise<T> {
  let answer: Promise<T> | null = null;
  return () => (answer ??= read());
}

function countedFromLivePicture(ctx: RequestContext): Parts {
  return {
    counts: once(async () => {
      const byStatus = new Map<ComponentStatus, number>();
      const byKind: Counts['componentsByKind'] = [];
      for (const row of await livePictureRepository.countsByKind(ctx.db)) {
        byStatus.set(row.status, (byStatus.get(row.status) ?? 0) + row.count);
        byKind.push({ kind: row.kind as ComponentKind, status: row.status, count: row.count });
      }
      return { componentsByStatus: sortedByStatus(byStatus), componentsByKind: sortedByKind(byKind) };
    }),
    gatewaysByProduct: once(async () => sortedByProduct(await livePictureRepository.gatewaysByProduct(ctx.db))),
    municipalityIdsWithOutage: once(() => livePictureRepository.municipalitiesWithOutage(ctx.db)),
    residentsAffected: once(() => livePictureRepository.residentsAffected(ctx.db)),
  };
}

/** Every part at once: the engine's one pass over the whole graph answers them all. */
function judgedFromReports(ctx: RequestContext, asOf: Date): Parts {
  const judged = once(() => judgeEveryComponent(ctx, asOf));
  return {
    counts: async () => {
      const { componentsByStatus, componentsByKind } = await judged();
      return { componentsByStatus, componentsByKind };
    },
    gatewaysByProduct: async () => (await judged()).gatewaysByProduct,
    municipalityIdsWithOutage: async () => (await judged()).municipalityIdsWithOutage,
    residentsAffected: async () => (await judged()).residentsAffected,
  };
}

async function judgeEveryComponent(ctx: RequestContext, asOf: Date): Promise<Counts> {
  const [graph, components, deliveries] = await Promise.all([
    statusRepository.wholeGraphAt(ctx.db, asOf),
    overviewRepository.componentSummaries(ctx.db),
    overviewRepository.deliveries(ctx.db, null),
  ]);
  const picture = new StatusPicture(graph, asOf);
  const statusOf = (id: string) => picture.effective(id).status;

  const byStatus = new Map<ComponentStatus, number>();
  const byKind = new Map<string, { kind: ComponentKind; status: ComponentStatus; count: number }>();
  const byProduct = new Map<string, Counts['gatewaysByProduct'][number]>();
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
    componentsByStatus: sortedByStatus(byStatus),
    componentsByKind: sortedByKind([...byKind.values()]),
    gatewaysByProduct: sortedByProduct([...byProduct.values()]),
    municipalityIdsWithOutage: [...withOutage],
    residentsAffected: residentsAffected(deliveries, statusOf),
  };
}

function sortedByStatus(byStatus: Map<ComponentStatus, number>): Counts['componentsByStatus'] {
  return [...byStatus.entries()].map(([status, count]) => ({ status, count })).sort(worstFirst);
}

function sortedByKind(byKind: Counts['componentsByKind']): Counts['componentsByKind'] {
  return byKind.sort((a, b) => a.kind.localeCompare(b.kind) || a.status.localeCompare(b.status));
}

function sortedByProduct(byProduct: Counts['gatewaysByProduct']): Counts['gatewaysByProduct'] {
  return byProduct.sort((a, b) =>
    a.vendor.localeCompare(b.vendor) || a.product.localeCompare(b.product)
    || (a.version ?? '').localeCompare(b.version ?? '', undefined, { numeric: true }) || a.status.localeCompare(b.status));
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
/** A what-if judged: the picture with the component's status replaced, and what the answer needs. */
interface JudgedWhatIf {
  picture: StatusPicture;
  staleNow: (id: string) => boolean;
  deliveries: Delivery[];
  /** Service rows already read, by id. */
  services: Map<string, Component>;
  /**
   * Judged on the live picture: when the answer changes by time alone (epoch ms) and the components
   * whose stored rows it read. Null when judged from the reports.
   */
  live: { nextStaleAt: number; reads: string[] } | null;
}

async function judgeWhatIf(db: EntityManager, componentId: string, status: ComponentStatus, asOf: Date): Promise<JudgedWhatIf> {
  const whatIf = { componentId, status };
  const services = new Map<string, Component>();
  // Only what lies above the component can change: judge that again, on top of the live picture.
  const live = await liveWhatIfGraph(db, componentId, asOf, (ids) => overviewRepository.municipalitiesOf(db, ids));
  if (live) {
    for (const service of live.services) services.set(service.id, service);
    return {
      picture: new StatusPicture(live.graph, asOf, whatIf, live.known),
      staleNow: live.staleNow,
      deliveries: withAudience(live.alongside, services),
      services,
      live: { nextStaleAt: live.nextStaleAt, reads: live.reads },
    };
  }
  const above = await statusRepository.idsAbove(db, componentId, asOf);
  const graph = await statusRepository.graphBelow(db, above, asOf, 'latest');
  const deliveries = await overviewRepository.deliveries(db, above);
  const today = new StatusPicture(graph, asOf);
  return { picture: new StatusPicture(graph, asOf, whatIf), staleNow: (id) => today.effective(id).stale, deliveries, services, live: null };
}

/** The deliveries' rows completed in place with each service's audience (60,000 rows above a hub: no copies). */
function withAudience(rows: Omit<Delivery, 'audience'>[], services: Map<string, Component>): Delivery[] {
  const deliveries = rows as Delivery[];
  for (const delivery of deliveries) delivery.audience = services.get(delivery.serviceId)!.audience!;
  return deliveries;
}

export async function impact(ctx: RequestContext, componentGlobalId: string, status: ComponentStatus): Promise<ImpactReportModel> {
  const component = await findComponent(ctx, componentGlobalId, 'componentId');
  if (!ctx.scope.isCoordinator && ctx.scope.organisationId !== component.operatorId) {
    throw ctx.scope.denied('A what-if on another organisation’s component');
  }
  const asOf = ctx.now;
  // A rebuild of the stored picture, when one is due, writes: it comes first. The what-if then
  // reads everything it judges from one snapshot, so reports arriving meanwhile (a crisis brings
  // many) cannot leave it half before and half after them.
  await livePictureFor(ctx.db, asOf);
  const { picture, staleNow, deliveries, services, live } = await ctx.db.transaction('REPEATABLE READ', (tx) => judgeWhatIf(tx, component.id, status, asOf));
  // The totals are the operator's to know; the list names only services in the caller's own picture
  // (a vendor learns how many residents depend on it, not its customers' service catalogue).
  const visible = ctx.scope.isCoordinator ? null : await ctx.scope.visibleComponentIds();
  const affected: ServiceAvailabilityModel[] = [];
  const withTodaysStaleness = new Map<string, Effective>();
  const municipalityIds = new Set<string>();
  for (const delivery of deliveries) {
    const effective = picture.effective(delivery.serviceId);
    if (effective.status === 'OPERATIONAL') continue;
    municipalityIds.add(delivery.municipalityId);
    if (visible && !visible.has(delivery.serviceId)) continue;
    // A what-if changes statuses, not how fresh the facts are: `stale` is today's (once per service).
    let shown = withTodaysStaleness.get(delivery.serviceId);
    if (!shown) {
      shown = { ...effective, stale: staleNow(delivery.serviceId) };
      withTodaysStaleness.set(delivery.serviceId, shown);
    }
    affected.push({ serviceId: delivery.serviceId, municipalityId: delivery.municipalityId, effective: shown, timeline: null, asOf });
  }
  await attachRows(ctx, affected, services);
  return {
    componentId: component.id,
    status,
    affected,
    municipalityIds: [...municipalityIds],
    residentsAffected: residentsAffected(deliveries, (id) => picture.effective(id).status),
  };
}

/**
 * Hands each listed service and municipality to its model, so the resolvers answer without a
 * promise per row. The list holds only what the viewer may see (filtered above); services not yet
 * read and the municipalities come through the guarded loaders, once per distinct id.
 */
async function attachRows(ctx: RequestContext, models: ServiceAvailabilityModel[], services: Map<string, Component>): Promise<void> {
  const missing = [...new Set(models.map((m) => m.serviceId).filter((id) => !services.has(id)))];
  const municipalityIds = [...new Set(models.map((m) => m.municipalityId))];
  const [loaded, municipalities] = await Promise.all([
    loadExisting(ctx.loaders.componentById, missing),
    loadExisting(ctx.loaders.organisationById, municipalityIds),
  ]);
  for (const service of loaded) services.set(service.id, service);
  const municipalityById = new Map(municipalities.map((m) => [m.id, m]));
  for (const model of models) {
    model.service = services.get(model.serviceId);
    model.municipality = municipalityById.get(model.municipalityId);
  }
}
