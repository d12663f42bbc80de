import type { RequestContext } from '../../context';
import { badInput, notFound } from '../../errors';
import { idOf } from '../../common/global-id';
import { decodeCursor, Page, pageSize, toPage } from '../../common/pagination';
import { Organisation, OrganisationKind } from './organisation.entity';
import { organisationRepository } from './organisation.repository';

const CBS_CODE = /^GM\d{4}$/;

export function checkCbsCode(cbsCode: string, field = 'cbsCode'): string {
  const code = cbsCode.trim().toUpperCase();
  if (!CBS_CODE.test(code)) throw badInput(`cbsCode must look like GM0534 (GM and four digits); got "${cbsCode.slice(0, 20)}"`, field);
  return code;
}

export async function findOrganisation(ctx: RequestContext, args: { id?: string | null; cbsCode?: string | null }): Promise<Organisation> {
  const hasId = args.id !== undefined && args.id !== null;
  const hasCode = args.cbsCode !== undefined && args.cbsCode !== null;
  if (hasId === hasCode) throw badInput('Give exactly one of id and cbsCode', hasId ? 'cbsCode' : 'id');
  const organisation = hasId
    ? await ctx.loaders.organisationById.load(idOf('Organisation', args.id!))
    : await ctx.loaders.organisationByCbsCode.load(checkCbsCode(args.cbsCode!));
  if (!organisation) throw notFound(hasId ? `No organisation with id ${args.id}` : `No municipality with CBS code ${args.cbsCode}`, hasId ? 'id' : 'cbsCode');
  return organisation;
}

export async function findMunicipality(ctx: RequestContext, cbsCode: string): Promise<Organisation> {
  const municipality = await ctx.loaders.organisationByCbsCode.load(checkCbsCode(cbsCode));
  if (!municipality) throw notFound(`No municipality with CBS code ${cbsCode}`, 'cbsCode');
  return municipality;
}

export async function listOrganisations(
  ctx: RequestContext,
  args: { kind?: OrganisationKind | null; search?: string | null; first?: number | null; after?: string | null },
): Promise<Page<Organisation>> {
  ctx.scope.requireOrganisation('The organisation list');
  const size = pageSize(args.first);
  const cursor = decodeCursor(args.after, ['string', 'uuid']);
  if (args.search && args.search.length > 200) throw badInput('search is limited to 200 characters', 'search');
  const { rows, totalCount } = await organisationRepository.page(
    ctx.db,
    { kind: args.kind ?? undefined, search: args.search ?? undefined },
    cursor ? { name: cursor[0] as string, id: cursor[1] as string } : null,
    size + 1,
  );
  for (const row of rows) ctx.loaders.organisationById.prime(row.id, row);
  return toPage(rows, size, (row) => [row.name, row.id], totalCount, cursor !== null);
}

/** Municipalities a shared-service organisation serves on a date (a membership covers it). */
export async function municipalitiesServed(ctx: RequestContext, sharedServiceOrganisationId: string, on: string): Promise<Organisation[]> {
  const memberships = await ctx.loaders.membershipsBySharedServiceOrganisation.load(sharedServiceOrganisationId);
  const current = memberships.filter((m) => m.startsOn <= on && (m.endsOn === null || m.endsOn >= on));
  const municipalities = await ctx.loaders.organisationById.loadMany([...new Set(current.map((m) => m.municipalityId))]);
  return municipalities.filter((m): m is Organisation => m instanceof Organisation);
}
