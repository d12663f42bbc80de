import type { Loaders } from '../../context';
import type { AccessScope } from './access-scope';
import type { Labelled } from '../../common/tlp';
import type { Component } from '../component';

interface Loads<K, V> {
  load(key: K): Promise<V>;
  loadMany(keys: readonly K[]): Promise<(V | Error)[]>;
  prime(key: K, value: NoInfer<V>): unknown;
}

/** A loader whose every answer passes the policy first: the answer, a filtered answer, or an error. */
export class GuardedLoader<K, V> implements Loads<K, V> {
  constructor(
    private readonly inner: Loads<K, V>,
    private readonly admit: (key: K, value: V) => Promise<V>,
  ) {}

  async load(key: K): Promise<V> {
    return this.admit(key, await this.inner.load(key));
  }

  loadMany(keys: readonly K[]): Promise<(V | Error)[]> {
    return Promise.all(keys.map((key) => this.load(key).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))));
  }

  prime(key: K, value: V): this {
    this.inner.prime(key, value);
    return this;
  }
}

/**
 * The components of a root cause path the reader may read: from the first, up to the first it may
 * not (another organisation's component seen through an offer shows its status, not what stands
 * behind it). One rule for EffectiveStatus, ServiceAvailability, StatusChange and webhooks
 * (AccessScope.readablePrefix).
 */
export async function readablePath(ctx: { scope: AccessScope; unguarded: Loaders }, ids: readonly string[]): Promise<Component[]> {
  const path: Component[] = [];
  for (const component of await ctx.unguarded.componentById.loadMany(ids)) {
    if (component instanceof Error) throw component;
    if (component === null) break;
    path.push(component);
  }
  const readable = await ctx.scope.readablePrefix(path, (id) => ctx.unguarded.isDeliveredService.load(id));
  return path.slice(0, readable);
}

/**
 * The loaders resolvers see. Each one asks the access scope before it answers, so a new resolver
 * that reads through `ctx.loaders` cannot forget the policy. Services that compute public aggregates
 * from data the caller may not see row by row (a municipality's availability, the national
 * overview) use the unguarded loaders and decide themselves, in plain sight.
 */
export function guardLoaders(raw: Loaders, scope: AccessScope) {
  const componentDetails = async (componentId: string, what: string) => {
    if (!(await scope.mayReadComponentDetails(componentId))) throw scope.denied(what);
  };
  const isDeliveredService = (id: string) => () => raw.isDeliveredService.load(id);
  const readableComponentIds = async (ids: string[]) => {
    const admitted: string[] = [];
    for (const id of ids) if (await scope.mayReadComponentDetails(id)) admitted.push(id);
    return admitted;
  };
  // TLP: the one rule (AccessScope.mayReadLabelled), fed with what each kind of labelled thing concerns.
  const operatorsOf = async (componentIds: string[]) => {
    const components = await raw.componentById.loadMany(componentIds);
    return [...new Set(components.flatMap((c) => (c && !(c instanceof Error) ? [c.operatorId] : [])))];
  };
  const incidentLabel = (incident: { id: string; tlp: Labelled['tlp']; declaredById: string }): Labelled => ({
    tlp: incident.tlp,
    authorId: incident.declaredById,
    recipientIds: () => raw.recipientIdsByIncident.load(incident.id),
    concernedOperatorIds: async () => operatorsOf(await raw.componentIdsByIncident.load(incident.id)),
    concernedComponentIds: () => raw.componentIdsByIncident.load(incident.id),
  });
  const incidentReadable = async (incidentId: string) => {
    const incident = await raw.incidentById.load(incidentId);
    if (incident && !(await scope.mayReadLabelled(incidentLabel(incident)))) throw scope.denied('This incident');
  };
  /** An update is read when its incident is, and its own label admits the reader too. */
  const updateReadable = async (update: { id: string; incidentId: string; tlp: Labelled['tlp']; authorId: string }) => {
    const incident = await raw.incidentById.load(update.incidentId);
    if (!incident) return false;
    return scope.mayReadLabelled({ ...incidentLabel(incident), tlp: update.tlp, authorId: update.authorId, recipientIds: () => raw.recipientIdsByIncidentUpdate.load(update.id) });
  };
  const advisoryReadable = async (advisory: { id: string; tlp: Labelled['tlp']; publisherId: string }) => scope.mayReadLabelled({
    tlp: advisory.tlp,
    authorId: advisory.publisherId,
    recipientIds: () => raw.recipientIdsByAdvisory.load(advisory.id),
    concernedOperatorIds: async () => (await raw.concernByAdvisory.load(advisory.id)).operatorIds,
    concernedComponentIds: async () => (await raw.concernByAdvisory.load(advisory.id)).componentIds,
  });
  const requireAdvisory = async (advisoryId: string) => {
    const advisory = await raw.advisoryById.load(advisoryId);
    if (advisory && !(await advisoryReadable(advisory))) throw scope.denied('This advisory');
  };
  const ofReadableAdvisory = <V>(inner: Loads<string, V>) =>
    new GuardedLoader(inner, async (advisoryId, value) => {
      await requireAdvisory(advisoryId);
      return value;
    });
  const organisationOnly = <K, V>(inner: Loads<K, V>, what: string) =>
    new GuardedLoader(inner, async (_key, value) => {
      scope.requireOrganisation(what);
      return value;
    });
  const detailsOf = <V>(inner: Loads<string, V>, what: string) =>
    new GuardedLoader(inner, async (componentId, value) => {
      await componentDetails(componentId, what);
      return value;
    });

  // The author of a CLEAR incident, update or advisory is named with it, also to the public.
  const speaksPublicly = async (id: string) => (await raw.publishesClearIncidentUpdates.load(id)) || raw.publishesClearAdvisories.load(id);
  const organisationById = new GuardedLoader(raw.organisationById, async (id, organisation) => {
    if (organisation && !scope.mayReadOrganisation(organisation) && !(await speaksPublicly(id))) throw scope.denied('This organisation');
    return organisation;
  });

  const ownWebhookEndpoint = (ownerId: string | null) => {
    if (scope.organisationId === null || ownerId !== scope.organisationId) throw scope.denied('This webhook endpoint');
  };

  return {
    organisationById,
    organisationByCbsCode: new GuardedLoader(raw.organisationByCbsCode, async (_code, organisation) => organisation),
    membershipById: organisationOnly(raw.membershipById, 'Memberships'),
    membershipsByMunicipality: organisationOnly(raw.membershipsByMunicipality, 'Memberships'),
    membershipsBySharedServiceOrganisation: organisationOnly(raw.membershipsBySharedServiceOrganisation, 'Memberships'),
    customerIdsByVendor: new GuardedLoader(raw.customerIdsByVendor, async (vendorId, ids) => {
      if (!scope.isCoordinator && scope.organisationId !== vendorId) throw scope.denied('A vendor’s customers');
      return ids;
    }),

    componentById: new GuardedLoader(raw.componentById, async (id, component) => {
      if (component && !(await scope.mayReadComponent(component, isDeliveredService(id)))) throw scope.denied('This component');
      return component;
    }),
    componentPageByOperator: new GuardedLoader(raw.componentPageByOperator, async (key, page) => {
      if (!scope.isCoordinator && scope.organisationId !== key.parentId) throw scope.denied('The components of another organisation');
      return page;
    }),
    dependencyById: new GuardedLoader(raw.dependencyById, async (_id, dependency) => {
      if (dependency) {
        await componentDetails(dependency.componentId, 'This dependency');
        await componentDetails(dependency.dependsOnId, 'This dependency');
      }
      return dependency;
    }),
    // What a component depends on, as far as the reader's picture reaches (an offered component shows only what is offered behind it).
    dependenciesOf: new GuardedLoader(raw.dependenciesOf, async (componentId, dependencies) => {
      await componentDetails(componentId, 'The dependencies of this component');
      const admitted = new Set(await readableComponentIds(dependencies.map((d) => d.dependsOnId)));
      return dependencies.filter((d) => admitted.has(d.dependsOnId));
    }),
    // Who depends on a component is the dependants' business: a vendor sees only its own picture here.
    dependentsOf: new GuardedLoader(raw.dependentsOf, async (componentId, dependencies) => {
      await componentDetails(componentId, 'The dependents of this component');
      const admitted = new Set(await readableComponentIds(dependencies.map((d) => d.componentId)));
      return dependencies.filter((d) => admitted.has(d.componentId));
    }),
    municipalityIdsByService: new GuardedLoader(raw.municipalityIdsByService, async (serviceId, ids) => {
      const service = await raw.componentById.load(serviceId);
      if (service && !(await scope.mayReadComponent(service, async () => ids.length > 0))) throw scope.denied('This service');
      return ids;
    }),
    // Whether a service's name is public: it is delivered to a municipality.
    isDeliveredService: raw.isDeliveredService,

    statusReportById: new GuardedLoader(raw.statusReportById, async (_id, report) => {
      if (report) await componentDetails(report.componentId, 'This status report');
      return report;
    }),
    statusHistoryPage: new GuardedLoader(raw.statusHistoryPage, async (key, page) => {
      await componentDetails(key.parentId, 'The status history of this component');
      return page;
    }),
    reportedStatusAt: (asOf: Date) => detailsOf(raw.reportedStatusAt(asOf), 'The reported status of this component'),
    storedStatus: detailsOf(raw.storedStatus, 'The effective status of this component'),
    judgedStatusAt: (asOf: Date) => detailsOf(raw.judgedStatusAt(asOf), 'The effective status of this component'),
    historyAt: (asOf: Date) => detailsOf(raw.historyAt(asOf), 'The history of this component'),
    // A municipality's services and their availability are public (README, "Access").
    servicesNow: raw.servicesNow,

    incidentById: new GuardedLoader(raw.incidentById, async (id, incident) => {
      if (incident) await incidentReadable(id);
      return incident;
    }),
    incidentUpdateById: new GuardedLoader(raw.incidentUpdateById, async (_id, update) => {
      if (update) {
        await incidentReadable(update.incidentId);
        if (!(await updateReadable(update))) throw scope.denied('This incident update');
      }
      return update;
    }),
    updatesByIncident: new GuardedLoader(raw.updatesByIncident, async (incidentId, updates) => {
      await incidentReadable(incidentId);
      const admitted = await Promise.all(updates.map(updateReadable));
      return updates.filter((_, i) => admitted[i]);
    }),
    // The public reads a CLEAR incident's affected services by name (as on a municipality's page), nothing behind them.
    componentIdsByIncident: new GuardedLoader(raw.componentIdsByIncident, async (incidentId, ids) => {
      await incidentReadable(incidentId);
      if (scope.isCoordinator) return ids;
      if (scope.organisationId === null) {
        const named = await Promise.all(ids.map((id) => raw.isDeliveredService.load(id)));
        return ids.filter((_, i) => named[i]);
      }
      return readableComponentIds(ids);
    }),
    advisoryIdsByIncident: new GuardedLoader(raw.advisoryIdsByIncident, async (incidentId, ids) => {
      await incidentReadable(incidentId);
      const advisories = await raw.advisoryById.loadMany(ids);
      const admitted = await Promise.all(advisories.map((a) => (a && !(a instanceof Error) ? advisoryReadable(a) : false)));
      return ids.filter((_, i) => admitted[i]);
    }),
    // Which incidents stand behind a component, whatever their labels: services decide what to show through incidentById.
    incidentsBehindAt: (asOf: Date, openOnly: boolean) => new GuardedLoader(raw.incidentsBehindAt(asOf, openOnly), async (_id, ids) => {
      if (!scope.isCoordinator) throw scope.denied('Every incident behind this component');
      return ids;
    }),
    recipientIdsByIncident: new GuardedLoader(raw.recipientIdsByIncident, async (incidentId, ids) => {
      await incidentReadable(incidentId);
      return ids;
    }),
    recipientIdsByIncidentUpdate: new GuardedLoader(raw.recipientIdsByIncidentUpdate, async (updateId, ids) => {
      const update = await raw.incidentUpdateById.load(updateId);
      if (update) {
        await incidentReadable(update.incidentId);
        if (!(await updateReadable(update))) throw scope.denied('This incident update');
      }
      return ids;
    }),
    publishesClearIncidentUpdates: raw.publishesClearIncidentUpdates,

    advisoryById: new GuardedLoader(raw.advisoryById, async (_id, advisory) => {
      if (advisory && !(await advisoryReadable(advisory))) throw scope.denied('This advisory');
      return advisory;
    }),
    affectedProductsByAdvisory: ofReadableAdvisory(raw.affectedProductsByAdvisory),
    revisionsByAdvisory: ofReadableAdvisory(raw.revisionsByAdvisory),
    vulnerabilitiesByAdvisory: ofReadableAdvisory(raw.vulnerabilitiesByAdvisory),
    recipientIdsByAdvisory: ofReadableAdvisory(raw.recipientIdsByAdvisory),
    concernByAdvisory: ofReadableAdvisory(raw.concernByAdvisory),
    // Exposure is filtered to the reader's picture by the advisory service, which reads these.
    exposureAt: (asOf: Date) => ofReadableAdvisory(raw.exposureAt(asOf)),
    remediationsAt: (asOf: Date) => ofReadableAdvisory(raw.remediationsAt(asOf)),
    publishesClearAdvisories: raw.publishesClearAdvisories,
    // A relation request is the business of the two parties (and coordinators).
    relationRequestById: new GuardedLoader(raw.relationRequestById, async (_id, request) => {
      if (request && !scope.isCoordinator && scope.organisationId !== request.requestedById && scope.organisationId !== request.awaitingId) {
        throw scope.denied('This relation request');
      }
      return request;
    }),
    // A maintenance window is read by whoever may read one of its components (its component list is
    // filtered further by the componentById loader).
    maintenanceById: new GuardedLoader(raw.maintenanceById, async (_id, window) => {
      if (window && (await readableComponentIds(window.componentIds)).length === 0) throw scope.denied('This maintenance window');
      return window;
    }),
    comingMaintenanceOf: new GuardedLoader(raw.comingMaintenanceOf, async (componentId, windows) => {
      await componentDetails(componentId, "This component's maintenance");
      return windows;
    }),
    remediationById: new GuardedLoader(raw.remediationById, async (_id, remediation) => {
      if (remediation) {
        await requireAdvisory(remediation.advisoryId);
        if (!(await scope.mayReadComponentInternals(remediation.gatewayId))) throw scope.denied('This remediation record');
      }
      return remediation;
    }),
    // Webhook endpoints are their organisation's alone, coordinators included (they hold a signing secret's use).
    webhookEndpointById: new GuardedLoader(raw.webhookEndpointById, async (_id, endpoint) => {
      if (endpoint) ownWebhookEndpoint(endpoint.ownerId);
      return endpoint;
    }),
    webhookDeliveryById: new GuardedLoader(raw.webhookDeliveryById, async (_id, delivery) => {
      if (delivery) ownWebhookEndpoint((await raw.webhookEndpointById.load(delivery.endpointId))?.ownerId ?? null);
      return delivery;
    }),
    webhookDeliveryPage: new GuardedLoader(raw.webhookDeliveryPage, async (key, page) => {
      ownWebhookEndpoint((await raw.webhookEndpointById.load(key.endpointId))?.ownerId ?? null);
      return page;
    }),
  } satisfies Record<keyof Loaders, unknown>;
}

export type GuardedLoaders = ReturnType<typeof guardLoaders>;
