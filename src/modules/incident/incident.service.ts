import type { RequestContext } from '../../context';
import { notFound } from '../../errors';
import { loadExisting } from '../../common/batch';
import { idOf } from '../../common/global-id';
import { decodeCursor, Page, pageSize, toPage } from '../../common/pagination';
import { findMunicipality } from '../organisation';
import { Incident, IncidentState } from './incident.entity';
import { incidentRepository } from './incident.repository';

export async function findIncident(ctx: RequestContext, globalId: string): Promise<Incident> {
  const incident = await ctx.loaders.incidentById.load(idOf('Incident', globalId));
  if (!incident) throw notFound(`No incident with id ${globalId}`, 'id');
  return incident;
}

export async function listIncidents(
  ctx: RequestContext,
  args: {
    filter?: { state?: IncidentState | null; componentId?: string | null; municipalityCbsCode?: string | null } | null;
    first?: number | null;
    after?: string | null;
  },
): Promise<Page<Incident>> {
  const size = pageSize(args.first, 20);
  const cursor = decodeCursor(args.after, ['timestamp', 'uuid']);
  const filter = args.filter ?? {};
  const municipality = filter.municipalityCbsCode ? await findMunicipality(ctx, filter.municipalityCbsCode) : null;
  const { ids, totalCount } = await incidentRepository.pageIds(
    ctx.db,
    {
      state: filter.state ?? undefined,
      componentId: filter.componentId ? idOf('Component', filter.componentId, 'filter.componentId') : undefined,
      municipalityId: municipality?.id,
      visibleTo: {
        organisationId: ctx.scope.organisationId,
        isCoordinator: ctx.scope.isCoordinator,
        componentIds: ctx.scope.isCoordinator ? [] : [...(await ctx.scope.visibleComponentIds())],
      },
    },
    cursor ? { startedAt: cursor[0] as string, id: cursor[1] as string } : null,
    size + 1,
  );
  const incidents = await loadExisting(ctx.loaders.incidentById, ids.map((row) => row.id));
  // The list's SQL and the guarded loader apply the same rule; a row the loader refuses would be a bug.
  return toPage(incidents, size, (row) => [row.startedAt.toISOString(), row.id], totalCount, cursor !== null);
}

/**
 * The incidents behind a component's state (issue 14, "incidents where people look"): those naming the
 * component or anything it depended on at `asOf`, the ones on its root cause path first (the closest
 * to the root first), then the rest, newest first. Only the incidents the caller may read: an incident
 * is listed where it is readable, never refused as a whole list. `openOnly`: the incidents still open
 * at `asOf`, which is what a municipality's page shows.
 */
export async function incidentsBehind(
  ctx: RequestContext, componentId: string, rootCause: readonly string[], asOf: Date, options: { openOnly: boolean },
): Promise<Incident[]> {
  const behind = await ctx.unguarded.incidentsBehindAt(asOf, options.openOnly).load(componentId);
  if (behind.length === 0) return [];
  const byIncident = new Map(behind.map((incident) => [incident.incidentId, incident.componentIds]));
  const loaded = await ctx.loaders.incidentById.loadMany([...byIncident.keys()]);
  const incidents = loaded.filter((incident): incident is Incident => incident !== null && !(incident instanceof Error));
  // Distance of the incident's nearest component from the root cause (0: on the root), or none.
  const pathRank = (incident: Incident) => {
    const ranks = byIncident.get(incident.id)!.map((id) => rootCause.indexOf(id)).filter((index) => index >= 0).map((index) => rootCause.length - 1 - index);
    return ranks.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...ranks);
  };
  return incidents.sort((a, b) => pathRank(a) - pathRank(b) || b.startedAt.getTime() - a.startedAt.getTime() || a.id.localeCompare(b.id));
}
