import type { RequestContext } from '../../context';
import { badInput } from '../../errors';
import { loadExisting } from '../../common/batch';
import { idOf } from '../../common/global-id';
import type { ComponentKind, ComponentStatus } from '../../common/vocabulary';
import { exposedGateways, advisoryRepository } from '../advisory';
import type { Component } from '../component';
import { isOutage, nationalPicture, residentsAffected, severity, withWhatIf } from '../picture';
import type { WhatIfJudgement } from '../picture';
import type { ServiceAvailabilityModel } from '../picture';
import { ImpactReportModel, NationalOverviewModel, SilentOrganisationModel } from './overview.models';
import { overviewRepository } from './overview.repository';

interface Counts {
  componentsByStatus: { status: ComponentStatus; count: number }[];
  componentsByKind: { kind: ComponentKind; status: ComponentStatus; count: number }[];
}

type Parts = Omit<NationalOverviewModel, 'asOf' | 'silentSince'>;

/**
 * The national picture. Now (no `asOf`) each part is one aggregate statement over the stored
 * picture, run when a field asks for it; at a given moment it is judged from the facts in force
 * then, one pass of the status engine over the country.
 */
export async function nationalOverview(ctx: RequestContext, asOf: Date | null): Promise<NationalOverviewModel> {
  ctx.scope.requireRole('The national overview', 'COORDINATOR');
  const moment = asOf ?? ctx.now;
  const parts = asOf === null ? countedNow(ctx) : judgedAt(ctx, asOf);
  return { asOf: moment, ...parts, silentSince: once(() => silentSinceAdvisories(ctx, moment)) };
}

/** `read` the first time the part is asked for; the same answer after that. */
function once<T>(read: () => Promise<T>): () => Promise<T> {
  let answer: Promise<T> | null = null;
  return () => (answer ??= read());
}

function countedNow(ctx: RequestContext): Parts {
  return {
    counts: once(async () => {
      const byStatus = new Map<ComponentStatus, number>();
      const byKind: Counts['componentsByKind'] = [];
      for (const row of await nationalPicture.countsByKindNow(ctx.db)) {
        byStatus.set(row.status, (byStatus.get(row.status) ?? 0) + row.count);
        byKind.push(row);
      }
      return { componentsByStatus: sortedByStatus(byStatus), componentsByKind: sortedByKind(byKind) };
    }),
    gatewaysByProduct: once(async () => sortedByProduct(await nationalPicture.gatewaysByProductNow(ctx.db))),
    municipalityIdsWithOutage: once(() => nationalPicture.municipalitiesWithOutageNow(ctx.db)),
    residentsAffected: once(() => nationalPicture.residentsAffectedNow(ctx.db)),
  };
}

/** Every part at once: the engine's one pass over the country answers them all. */
function judgedAt(ctx: RequestContext, asOf: Date): Parts {
  const judged = once(async () => {
    const [country, components] = await Promise.all([nationalPicture.statusesAt(ctx.db, asOf), overviewRepository.componentSummaries(ctx.db, asOf)]);
    const counted = new Set(country.componentIds);
    const byStatus = new Map<ComponentStatus, number>();
    const byKind = new Map<string, { kind: ComponentKind; status: ComponentStatus; count: number }>();
    const byProduct = new Map<string, Awaited<ReturnType<Parts['gatewaysByProduct']>>[number]>();
    for (const component of components) {
      if (!counted.has(component.id)) continue;
      const status = country.statusOf(component.id);
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
    for (const delivery of country.deliveries) {
      if (isOutage(country.statusOf(delivery.serviceId))) withOutage.add(delivery.municipalityId);
    }
    return {
      componentsByStatus: sortedByStatus(byStatus),
      componentsByKind: sortedByKind([...byKind.values()]),
      gatewaysByProduct: sortedByProduct([...byProduct.values()]),
      municipalityIdsWithOutage: [...withOutage],
      residentsAffected: residentsAffected(country.deliveries, country.statusOf),
    };
  });
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

function sortedByStatus(byStatus: Map<ComponentStatus, number>): Counts['componentsByStatus'] {
  return [...byStatus.entries()].map(([status, count]) => ({ status, count })).sort(worstFirst);
}

function sortedByKind(byKind: Counts['componentsByKind']): Counts['componentsByKind'] {
  return byKind.sort((a, b) => a.kind.localeCompare(b.kind) || a.status.localeCompare(b.status));
}

function sortedByProduct(byProduct: Awaited<ReturnType<Parts['gatewaysByProduct']>>): Awaited<ReturnType<Parts['gatewaysByProduct']>> {
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

/** At most this many components switched together in one what-if. */
const MAX_SWITCHED = 50;

export interface ImpactArgs {
  componentId?: string | null;
  componentIds?: readonly string[] | null;
  status: ComponentStatus;
  asOf?: Date | null;
}

/**
 * What-if: every service × municipality that would not be OPERATIONAL if the components had
 * `status`, now or at `asOf`. Changes nothing.
 *
 * Who may ask: a coordinator about anything; an organisation (municipality, operator, vendor) about
 * components in its own picture, because deciding what to switch off, or what to do when a vendor
 * does, is its business. The answer lists what lies in the caller's picture and counts the rest
 * (`withheld`), so a shared-service organisation sees what Centric's shutdown does to its
 * municipalities, and learns that it reaches others, without learning who they are.
 */
export async function impact(ctx: RequestContext, args: ImpactArgs): Promise<ImpactReportModel> {
  ctx.scope.requireOrganisation('A what-if');
  const globalIds = [...(args.componentId ? [args.componentId] : []), ...(args.componentIds ?? [])];
  if (globalIds.length === 0) throw badInput('Name the component to switch (componentId) or the components (componentIds)', 'componentId');
  if (globalIds.length > MAX_SWITCHED) throw badInput(`At most ${MAX_SWITCHED} components in one what-if`, 'componentIds');
  const ids = [...new Set(globalIds.map((id) => idOf('Component', id, args.componentIds?.includes(id) ? 'componentIds' : 'componentId')))];
  // The guarded loader refuses a component outside the caller's picture.
  const components = await loadExisting(ctx.loaders.componentById, ids);
  if (components.length !== ids.length) throw badInput('No component with one of these ids', 'componentIds');
  for (const component of components) {
    if (!(await ctx.scope.mayReadComponentDetails(component.id))) throw ctx.scope.denied('A what-if on a component outside your picture');
  }
  return withWhatIf(ctx.db, ids, args.status, args.asOf ?? null, ctx.now, (judged) => impactOf(ctx, ids, args.status, judged));
}

/** The what-if as the viewer may see it: the services and municipalities it reaches, and what is withheld. */
async function impactOf(ctx: RequestContext, ids: string[], status: ComponentStatus, judged: WhatIfJudgement): Promise<ImpactReportModel> {
  const visible = ctx.scope.isCoordinator ? null : await ctx.scope.visibleComponentIds();
  const affected: ServiceAvailabilityModel[] = [];
  const shownMunicipalities = new Set<string>();
  const everyMunicipality = new Set<string>();
  const withheldServices = new Set<string>();
  for (const delivery of judged.deliveries) {
    const effective = judged.effectiveOf(delivery.serviceId);
    if (effective.status === 'OPERATIONAL') continue;
    everyMunicipality.add(delivery.municipalityId);
    if (visible && !visible.has(delivery.serviceId)) {
      withheldServices.add(delivery.serviceId);
      continue;
    }
    shownMunicipalities.add(delivery.municipalityId);
    affected.push({
      componentId: delivery.serviceId, serviceId: delivery.serviceId, municipalityId: delivery.municipalityId, asOf: judged.at,
      status: effective.status, cause: 'cause' in effective ? effective.cause : null, since: null,
      stale: judged.staleThen(delivery.serviceId), staleSince: null,
      rootCause: effective.rootCause, rootCauseReportId: effective.rootCauseReportId, rootCauseMaintenanceId: effective.rootCauseMaintenanceId, hasHistory: false,
    });
  }
  const statusOf = (id: string) => judged.effectiveOf(id).status;
  const withheldMunicipalities = [...everyMunicipality].filter((id) => !shownMunicipalities.has(id));
  const total = residentsAffected(judged.deliveries, statusOf);
  const shown = residentsAffected(judged.deliveries.filter((d) => shownMunicipalities.has(d.municipalityId)), statusOf);
  await attachRows(ctx, affected);
  return {
    componentIds: ids,
    status,
    asOf: judged.at,
    affected,
    municipalityIds: [...shownMunicipalities],
    residentsAffected: total,
    withheld: { services: withheldServices.size, municipalities: withheldMunicipalities.length, residents: total - shown },
  };
}

/**
 * Hands each listed service and municipality to its model, so the resolvers answer without a
 * promise per row. The list holds only what the viewer may see (filtered above).
 */
async function attachRows(ctx: RequestContext, models: ServiceAvailabilityModel[]): Promise<void> {
  const [services, municipalities] = await Promise.all([
    loadExisting<Component>(ctx.loaders.componentById, [...new Set(models.map((m) => m.serviceId))]),
    loadExisting(ctx.loaders.organisationById, [...new Set(models.map((m) => m.municipalityId))]),
  ]);
  const serviceById = new Map(services.map((s) => [s.id, s]));
  const municipalityById = new Map(municipalities.map((m) => [m.id, m]));
  for (const model of models) {
    model.service = serviceById.get(model.serviceId);
    model.municipality = municipalityById.get(model.municipalityId);
  }
}
