import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../context';
import { badInput } from '../../errors';
import { readablePath } from '../access';
import type { Component } from '../component';
import type { ComponentStatus } from '../../common/vocabulary';
import { countryAt, factsRepository, servicesDeliveredAt } from './facts.repository';
import { modelOfStored } from './picture.loaders';
import { storedPictureRepository } from './picture.repository';
import type { StoredStatusAndReport } from './picture.repository';
import type { Delivery } from './status.rules';
import { StatusPicture } from './status.engine';
import type { EffectiveStatusModel, ServiceAvailabilityModel } from './picture.models';

/**
 * The readers of the picture. A question about *now* (no `asOf`) is a lookup in the stored
 * picture; a question about a given moment is judged by the status engine from the facts in force
 * then, so an answer about the past never moves when the register is edited later.
 */

/**
 * Every service delivered to a municipality, by name, with its effective status now or at `asOf`.
 * Availability per municipality is public (README, "Access"), so it is read through the unguarded
 * loaders; what lies behind a service (its root cause) goes through the guarded ones in the resolvers.
 */
export async function servicesOfMunicipality(
  ctx: RequestContext, municipalityId: string, asOf: Date | null,
  /** Whether the query asks for the services' root causes: their components and access are then fetched early. */
  asksRootCause: boolean,
): Promise<ServiceAvailabilityModel[]> {
  if (asOf === null) {
    const rows = await ctx.unguarded.servicesNow.load(municipalityId);
    for (const row of rows) {
      // These services are delivered now: their names are public (AccessScope.mayReadComponent).
      ctx.unguarded.isDeliveredService.prime(row.componentId, true);
      // Their rows came with their status.
      ctx.unguarded.componentById.prime(row.componentId, row.service);
    }
    // When the root causes are asked for, the other components on their paths are fetched in one
    // batch, and the check of how far the reader may follow each path starts now, alongside it;
    // which components a reader sees is still decided when a path is asked for (readablePath). The
    // public never asks for a root cause (PUBLIC_FIELDS), so its pages do not fetch them.
    if (asksRootCause && ctx.viewer.kind !== 'public') {
      void ctx.unguarded.componentById.loadMany(rows.flatMap((row) => row.rootCause.slice(1)));
      ctx.scope.expectPaths(rows.map((row) => row.rootCause));
    }
    // Through the policy, at once, so that every answer holds its service and graphql-js completes
    // the list without a promise per service (ServiceAvailabilityModel.service).
    const services = await ctx.loaders.componentById.loadMany(rows.map((row) => row.componentId));
    return rows.map((row, i) => {
      const service = services[i];
      return serviceAvailability(modelOfStored(row, ctx.now), municipalityId, service instanceof Error || service === null ? undefined : service);
    });
  }
  const ids = await servicesDeliveredAt(ctx.db, municipalityId, asOf);
  const models = await ctx.unguarded.judgedStatusAt(asOf).loadMany(ids);
  return models.map((model) => {
    if (model instanceof Error) throw model;
    return serviceAvailability(model, municipalityId);
  });
}

/** The model as one municipality's dashboard shows the service, copied field by field (every dashboard builds hundreds). */
function serviceAvailability(model: EffectiveStatusModel, municipalityId: string, service?: Component): ServiceAvailabilityModel {
  return {
    componentId: model.componentId,
    asOf: model.asOf,
    status: model.status,
    cause: model.cause,
    since: model.since,
    stale: model.stale,
    staleSince: model.staleSince,
    rootCause: model.rootCause,
    rootCauseReportId: model.rootCauseReportId,
    rootCauseMaintenanceId: model.rootCauseMaintenanceId,
    serviceId: model.componentId,
    municipalityId,
    hasHistory: true,
    service,
  };
}

/** A component's effective status now (`asOf` null) or at `asOf`, for a caller who may read it. */
export async function effectiveStatusOf(ctx: RequestContext, componentId: string, asOf: Date | null): Promise<EffectiveStatusModel> {
  const model = asOf === null ? await ctx.loaders.storedStatus.load(componentId) : await ctx.loaders.judgedStatusAt(asOf).load(componentId);
  // A retired component has no row in the stored picture: it is gone from now.
  return model ?? notInPicture(componentId, ctx.now);
}

/** A component without a row in the stored picture (retired, or not yet written): UNKNOWN. */
function notInPicture(componentId: string, now: Date): EffectiveStatusModel {
  return {
    componentId, asOf: now, status: 'UNKNOWN', cause: null, since: null, stale: false, staleSince: null, rootCause: [], rootCauseReportId: null, rootCauseMaintenanceId: null,
  };
}

/** Effective status of many components now or at `asOf`. */
export async function effectiveStatusesAt(ctx: RequestContext, ids: string[], asOf: Date | null): Promise<Map<string, ComponentStatus>> {
  const statuses = new Map<string, ComponentStatus>();
  const models = asOf === null ? await ctx.loaders.storedStatus.loadMany(ids) : await ctx.loaders.judgedStatusAt(asOf).loadMany(ids);
  models.forEach((model, i) => {
    if (model instanceof Error) throw model;
    statuses.set(ids[i], model?.status ?? 'UNKNOWN');
  });
  return statuses;
}

/**
 * The root cause path as the reader may follow it: from the component down to the first component
 * outside the reader's picture (an organisation sees another's component through an offer, not what
 * stands behind it). The root cause's report only when the reader reaches the root cause itself.
 */
export async function readableRootCause(ctx: RequestContext, model: EffectiveStatusModel): Promise<{ path: Component[]; reportId: string | null }> {
  const path = await readablePath(ctx, model.rootCause);
  return { path, reportId: path.length === model.rootCause.length ? model.rootCauseReportId : null };
}

export function checkWindow(from: Date, to: Date): void {
  if (from.getTime() >= to.getTime()) throw badInput('from must be before to', 'from');
}

/**
 * Share of [from, to] (not later than the moment the answer describes) during which the service was
 * OPERATIONAL, judged on the facts in force during each part of the window.
 */
export async function uptimeOf(ctx: RequestContext, model: ServiceAvailabilityModel, from: Date, to: Date): Promise<number | null> {
  checkWindow(from, to);
  if (!model.hasHistory) return null;
  const timeline = await ctx.unguarded.historyAt(model.asOf).load(model.serviceId);
  return timeline.uptime(model.serviceId, from, to, model.asOf);
}

/**
 * A component's effective status as a write's transaction sees it, and the id of its own newest
 * report (by observation, then arrival; null: never reported): for a mutation's payload, which shows
 * the state after its own write.
 */
export async function storedStatusIn(db: EntityManager, componentId: string, now: Date): Promise<{ effectiveStatus: EffectiveStatusModel; newestReportId: string | null }> {
  const row = await storedPictureRepository.statusAndNewestReport(db, componentId);
  return row ? storedStatusAsModel(row, now) : { effectiveStatus: notInPicture(componentId, now), newestReportId: null };
}

/** A row the keeper handed back (pictureKeeper.reportStored), as storedStatusIn answers. */
export function storedStatusAsModel(row: StoredStatusAndReport, now: Date): { effectiveStatus: EffectiveStatusModel; newestReportId: string | null } {
  return { effectiveStatus: modelOfStored(row, now), newestReportId: row.newestReportId };
}

/** The national picture: now from the stored picture, one aggregate statement per part; at a past moment judged from the facts then. */
export const nationalPicture = {
  countsByKindNow: (db: EntityManager) => storedPictureRepository.countsByKind(db),
  gatewaysByProductNow: (db: EntityManager) => storedPictureRepository.gatewaysByProduct(db),
  municipalitiesWithOutageNow: (db: EntityManager) => storedPictureRepository.municipalitiesWithOutage(db),
  residentsAffectedNow: (db: EntityManager) => storedPictureRepository.residentsAffected(db),

  /** Every component's effective status at `asOf`, judged by the engine from the facts in force then. */
  async statusesAt(db: EntityManager, asOf: Date): Promise<{ componentIds: string[]; statusOf(id: string): ComponentStatus; deliveries: Delivery[] }> {
    const graph = await countryAt(db, asOf);
    const picture = new StatusPicture(graph, asOf);
    const componentIds = [...graph.componentIds()].filter((id) => {
      const retiredAt = graph.component(id)?.retiredAt ?? null;
      return retiredAt === null || retiredAt > asOf.getTime();
    });
    return { componentIds, statusOf: (id) => picture.judge(id).status, deliveries: await factsRepository.deliveriesAt(db, null, asOf) };
  },
};
