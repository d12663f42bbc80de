import type { RequestContext } from '../../context';
import { AppError, badInput, notFound } from '../../errors';
import { idOf } from '../../common/global-id';
import { loadExisting } from '../../common/batch';
import { connectionOf, decodeCursor, Page, pageSize, toPage } from '../../common/pagination';
import type { ComponentStatus } from '../../common/vocabulary';
import { Component, ComponentKind } from './component.entity';
import { componentRepository, ComponentListFilter } from './component.repository';

export async function findComponent(ctx: RequestContext, globalId: string, field = 'id'): Promise<Component> {
  const component = await ctx.loaders.componentById.load(idOf('Component', globalId, field));
  if (!component) throw notFound(`No component with id ${globalId}`, field);
  return component;
}

/**
 * The id of the component an operator calls `externalRef`, among `operatorId`'s components only (an
 * external ref never resolves to another operator's component); null when there is none.
 */
export async function componentIdByExternalRef(ctx: RequestContext, operatorId: string, externalRef: string): Promise<string | null> {
  const rows: { id: string }[] = await ctx.db.query(
    `SELECT id FROM component WHERE operator_id = $1 AND external_ref = $2`, [operatorId, externalRef]);
  return rows.length === 1 ? rows[0].id : null;
}

/** A component by its operator's own name for it: the caller's own, or (a coordinator) `operatorId`'s. */
export async function findComponentByExternalRef(ctx: RequestContext, externalRef: string, operatorGlobalId: string | null | undefined): Promise<Component | null> {
  ctx.scope.requireOrganisation('Looking components up by externalRef');
  if (externalRef.length > 200) throw badInput('externalRef is limited to 200 characters', 'externalRef');
  const operatorId = operatorGlobalId ? idOf('Organisation', operatorGlobalId, 'operatorId') : ctx.scope.actingOrganisationId;
  if (operatorId !== ctx.scope.organisationId && !ctx.scope.isCoordinator) {
    throw new AppError('FORBIDDEN', "Another operator's external references are its own", 'operatorId');
  }
  const id = await componentIdByExternalRef(ctx, operatorId, externalRef);
  return id === null ? null : ctx.loaders.componentById.load(id);
}

/** The operator's own name for a component, for a reader who sees it whole. */
export async function externalRefOf(ctx: RequestContext, component: Component): Promise<string | null> {
  return (await ctx.scope.mayReadComponentInternals(component.id)) ? component.externalRef : null;
}

/** A component's version, for a reader who sees it whole: an offer publishes status, not versions (docs/access.md). */
export async function versionOf(ctx: RequestContext, component: Component): Promise<string | null> {
  return (await ctx.scope.mayReadComponentInternals(component.id)) ? component.version : null;
}

export interface ComponentListArgs {
  filter?: {
    kind?: ComponentKind | null;
    operatorId?: string | null;
    status?: ComponentStatus | null;
    product?: string | null;
    search?: string | null;
  } | null;
  first?: number | null;
  after?: string | null;
}

/**
 * Components sorted by name. The status filter is the effective status now, which only the status
 * engine knows, so it narrows the SQL-side selection to ids before the page is read.
 */
export async function listComponents(
  ctx: RequestContext,
  args: ComponentListArgs,
  effectiveStatuses: (ids: string[]) => Promise<Map<string, ComponentStatus>>,
): Promise<Page<Component>> {
  ctx.scope.requireOrganisation('The component list');
  const size = pageSize(args.first);
  const cursor = decodeCursor(args.after, ['string', 'uuid']);
  const input = args.filter ?? {};
  for (const field of ['product', 'search'] as const) {
    if ((input[field]?.length ?? 0) > 200) throw badInput(`filter.${field} is limited to 200 characters`, `filter.${field}`);
  }
  const filter: ComponentListFilter = {
    kind: input.kind ?? undefined,
    operatorId: input.operatorId ? idOf('Organisation', input.operatorId, 'filter.operatorId') : undefined,
    product: input.product ?? undefined,
    search: input.search ?? undefined,
  };
  if (!ctx.scope.isCoordinator) filter.ids = [...(await ctx.scope.visibleComponentIds())];
  if (input.status) {
    const candidates = await componentRepository.idsMatching(ctx.db, filter);
    const statuses = await effectiveStatuses(candidates);
    filter.ids = candidates.filter((id) => statuses.get(id) === input.status);
  }
  return pageOf(ctx, filter, cursor, size);
}

/** An organisation's components: batched across organisations, one statement for all of them. */
export async function listComponentsOf(ctx: RequestContext, operatorId: string, args: { first?: number | null; after?: string | null }): Promise<Page<Component>> {
  const size = pageSize(args.first);
  const cursor = decodeCursor(args.after, ['string', 'uuid']);
  const after = cursor ? { name: cursor[0] as string, id: cursor[1] as string } : null;
  const page = await ctx.loaders.componentPageByOperator.load({ parentId: operatorId, limit: size, after });
  const components = await loadExisting(ctx.loaders.componentById, page.ids);
  return connectionOf(components, page.hasNextPage, (row) => [row.name, row.id], page.totalCount, cursor !== null);
}

async function pageOf(ctx: RequestContext, filter: ComponentListFilter, cursor: (string | number)[] | null, size: number): Promise<Page<Component>> {
  const { rows, totalCount } = await componentRepository.page(
    ctx.db,
    filter,
    cursor ? { name: cursor[0] as string, id: cursor[1] as string } : null,
    size + 1,
  );
  for (const row of rows) ctx.loaders.componentById.prime(row.id, row);
  return toPage(rows, size, (row) => [row.name, row.id], totalCount, cursor !== null);
}
