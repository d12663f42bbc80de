import type { RequestContext } from '../../context';
import { isRefusal } from '../../errors';
import { loadExisting } from '../../common/batch';
import { toGlobalId } from '../../common/global-id';
import { readablePath } from '../access';
import type { ChangeEvent, IncidentChangeEvent, MaintenanceChangeEvent, StatusChangeEvent } from '../events';
import { noticeFor, readableComponentsOf, readableWindow } from '../maintenance';

/** What an endpoint asked for; an empty list does not narrow. */
export interface WebhookFilter {
  eventKinds: readonly string[];
  municipalityIds: readonly string[];
  componentIds: readonly string[];
}

/**
 * One kind of event an endpoint can ask for: which stored change events it covers, whether one of
 * them goes to an endpoint (its filter, and what its owner may read, decided by the access scope
 * the subscriptions use), and the `data` of the message. `ctx` is the owner's, as of the fan-out.
 */
interface WebhookKind<E extends ChangeEvent> {
  /** The change events it covers (ChangeEvent['kind']). */
  covers: E['kind'];
  /** The Standard Webhooks `type` of the message. */
  type: string;
  admits(event: E, filter: WebhookFilter, ctx: RequestContext): Promise<boolean>;
  data(event: E, ctx: RequestContext): Promise<Record<string, unknown>>;
}

const anyOf = (wanted: readonly string[], present: readonly string[]) => wanted.length === 0 || present.some((id) => wanted.includes(id));

/** Whether any of `componentIds` is a service delivered to a municipality the filter names (none named: yes). */
async function deliveredToAny(filter: WebhookFilter, componentIds: readonly string[], ctx: RequestContext): Promise<boolean> {
  if (filter.municipalityIds.length === 0) return true;
  const delivered = await Promise.all(componentIds.map((id) => ctx.unguarded.municipalityIdsByService.load(id)));
  return anyOf(filter.municipalityIds, delivered.flat());
}

const statusChanged: WebhookKind<StatusChangeEvent> = {
  covers: 'STATUS',
  type: 'status.changed',
  async admits(event, filter, ctx) {
    if (!anyOf(filter.componentIds, [event.componentId]) || !anyOf(filter.municipalityIds, event.municipalityIds)) return false;
    // The rule statusChanged applies to a whole picture: a coordinator every component, others their picture.
    return ctx.scope.mayReadComponentDetails(event.componentId);
  },
  async data(event, ctx) {
    const component = await ctx.loaders.componentById.load(event.componentId);
    const municipalities = await loadExisting(ctx.loaders.organisationById, event.municipalityIds);
    const rootCause = await readablePath(ctx, event.rootCause);
    return {
      component: component && { id: toGlobalId('Component', component.id), name: component.name, kind: component.kind },
      municipalities: municipalities.map((m) => ({ id: toGlobalId('Organisation', m.id), cbsCode: m.cbsCode, name: m.name })),
      status: event.status,
      previousStatus: event.previousStatus,
      cause: event.cause,
      since: event.since?.toISOString() ?? null,
      stale: event.stale,
      rootCause: rootCause.map((c) => ({ id: toGlobalId('Component', c.id), name: c.name })),
    };
  },
};

/** The incident's own label decides (the guarded loader, as incidentUpdated); its update's label decides the update. */
const incidentUpdated: WebhookKind<IncidentChangeEvent> = {
  covers: 'INCIDENT',
  type: 'incident.updated',
  async admits(event, filter, ctx) {
    try {
      if (!(await ctx.loaders.incidentById.load(event.incidentId))) return false;
    } catch (error) {
      if (isRefusal(error)) return false;
      throw error;
    }
    if (filter.componentIds.length === 0 && filter.municipalityIds.length === 0) return true;
    const componentIds = await ctx.loaders.componentIdsByIncident.load(event.incidentId);
    if (!anyOf(filter.componentIds, componentIds)) return false;
    return deliveredToAny(filter, componentIds, ctx);
  },
  async data(event, ctx) {
    const incident = (await ctx.loaders.incidentById.load(event.incidentId))!;
    let update = null;
    if (event.incidentUpdateId) {
      update = await ctx.loaders.incidentUpdateById.load(event.incidentUpdateId).catch((error: unknown) => {
        if (isRefusal(error)) return null;
        throw error;
      });
    }
    return {
      incident: { id: toGlobalId('Incident', incident.id), title: incident.title, severity: incident.severity, state: event.incidentState },
      update: update && { id: toGlobalId('IncidentUpdate', update.id), kind: update.kind, message: update.message, postedAt: update.postedAt.toISOString() },
    };
  },
};

/**
 * Who may read a window, and which municipalities it concerns (those whose services stand on it), are
 * the maintenance module's one rule (maintenance.sight.ts), as for `maintenanceChanged` and
 * `Municipality.maintenance`; only the components the owner may read are named.
 */
const maintenanceChanged: WebhookKind<MaintenanceChangeEvent> = {
  covers: 'MAINTENANCE',
  type: 'maintenance.changed',
  async admits(event, filter, ctx) {
    const window = await readableWindow(ctx, event.maintenanceId);
    if (!window || !anyOf(filter.componentIds, window.componentIds)) return false;
    if (filter.municipalityIds.length === 0) return true;
    for (const municipalityId of filter.municipalityIds) if (await noticeFor(ctx, window, municipalityId)) return true;
    return false;
  },
  async data(event, ctx) {
    const window = (await readableWindow(ctx, event.maintenanceId))!;
    const components = await readableComponentsOf(ctx, window);
    return {
      action: event.action,
      maintenance: {
        id: toGlobalId('MaintenanceWindow', window.id), title: window.title, publicText: window.publicText,
        startsAt: window.startsAt.toISOString(), endsAt: window.endsAt.toISOString(), cancelledAt: window.cancelledAt?.toISOString() ?? null,
        revision: window.revision,
        components: components.map((c) => ({ id: toGlobalId('Component', c.id), name: c.name, kind: c.kind })),
      },
    };
  },
};

/**
 * Every kind an endpoint can ask for, by its GraphQL enum value (schema/webhooks.graphql). A new
 * kind of change event is one more line here (and its value in the enum).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const WEBHOOK_KINDS: Record<string, WebhookKind<any>> = {
  STATUS_CHANGED: statusChanged,
  INCIDENT_UPDATED: incidentUpdated,
  MAINTENANCE_CHANGED: maintenanceChanged,
};

export type WebhookEventKind = keyof typeof WEBHOOK_KINDS;

/** The kinds that cover a change event of this kind (one today; a list so that a kind can split). */
export function kindsCovering(event: ChangeEvent): [string, WebhookKind<ChangeEvent>][] {
  return Object.entries(WEBHOOK_KINDS).filter(([, kind]) => kind.covers === event.kind);
}
