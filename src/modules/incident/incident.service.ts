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

export async function incidentsOfComponent(ctx: RequestContext, componentId: string): Promise<Incident[]> {
  const incidents = await loadExisting(ctx.loaders.incidentById, await ctx.loaders.incidentIdsByComponent.load(componentId));
  return incidents.sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
}
