import type { RequestContext } from '../../context';
import { decodeCursor, Page, pageSize, toPage } from '../../common/pagination';
import type { Component } from '../component';
import type { Dependency } from '../component';
import type { Membership } from '../organisation';
import { consentRepository } from './consent.repository';
import type { RelationRequest, RelationRequestState } from './relation-request.entity';

/** The requests the caller's organisation made or awaits (a coordinator: all), newest first. */
export async function listRelationRequests(
  ctx: RequestContext,
  args: { state?: RelationRequestState | null; first?: number | null; after?: string | null },
): Promise<Page<RelationRequest>> {
  ctx.scope.requireOrganisation('Relation requests');
  const size = pageSize(args.first);
  const cursor = decodeCursor(args.after, ['timestamp', 'uuid']);
  const { rows, totalCount } = await consentRepository.page(
    ctx.db,
    { organisationId: ctx.scope.isCoordinator ? null : ctx.scope.actingOrganisationId, state: args.state ?? null },
    cursor ? { requestedAt: cursor[0] as string, id: cursor[1] as string } : null,
    size + 1,
  );
  for (const row of rows) ctx.loaders.relationRequestById.prime(row.id, row);
  return toPage(rows, size, (row) => [row.requestedAt.toISOString(), row.id], totalCount, cursor !== null);
}

/**
 * A component named in a request the caller may read: both parties read its name, kind and operator
 * even when it lies outside their picture (they must know what they are asked), nothing behind it.
 */
export async function requestedComponent(ctx: RequestContext, componentId: string | null): Promise<Component | null> {
  return componentId === null ? null : ctx.unguarded.componentById.load(componentId);
}

/** The edge or membership an accepted request made, when the reader may read it (the awaited party often may not). */
export async function madeRelation(ctx: RequestContext, request: RelationRequest): Promise<{ dependency: Dependency | null; membership: Membership | null }> {
  const readable = async <T>(load: () => Promise<T | null>) => load().catch(() => null);
  return {
    dependency: request.dependencyId ? await readable(() => ctx.loaders.dependencyById.load(request.dependencyId!)) : null,
    membership: request.membershipId ? await readable(() => ctx.loaders.membershipById.load(request.membershipId!)) : null,
  };
}
