import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../context';
import { AppError, badInput, notFound } from '../../errors';
import { recordAudit } from '../audit';
import { idOf } from '../../common/global-id';
import { optionalText, requiredText } from '../../common/input';
import { Membership, Organisation, OrganisationKind } from './organisation.entity';
import { checkCbsCode } from './organisation.service';
import { isUniqueViolation } from '../../common/sql';

export async function registerOrganisation(
  ctx: RequestContext,
  input: { kind: OrganisationKind; name: string; cbsCode?: string | null; population?: number | null; website?: string | null },
): Promise<Organisation> {
  ctx.scope.requireRole('Registering organisations', 'COORDINATOR');
  const name = requiredText(input.name, 'name', 200);
  const website = optionalText(input.website, 'website', 500);
  let cbsCode: string | null = null;
  let population: number | null = null;
  if (input.kind === 'MUNICIPALITY') {
    if (!input.cbsCode) throw badInput('A municipality needs its CBS code', 'cbsCode');
    cbsCode = checkCbsCode(input.cbsCode);
    if (input.population === null || input.population === undefined || !Number.isInteger(input.population) || input.population < 0) {
      throw badInput('A municipality needs its population, a whole number of at least 0', 'population');
    }
    population = input.population;
  } else {
    if (input.cbsCode) throw badInput('Only municipalities have a CBS code', 'cbsCode');
    if (input.population !== null && input.population !== undefined) throw badInput('Only municipalities have a population here', 'population');
  }
  const taken = new AppError('CONFLICT', `A municipality with CBS code ${cbsCode} is already registered`, 'cbsCode');
  return ctx.db.transaction(async (db) => {
    if (cbsCode && (await db.findOneBy(Organisation, { cbsCode }))) throw taken;
    const id = randomUUID();
    await db.insert(Organisation, { id, kind: input.kind, name, cbsCode, population, website });
    await recordAudit(db, ctx, { operation: 'registerOrganisation', entityType: 'Organisation', entityId: id });
    return db.findOneByOrFail(Organisation, { id });
  }).catch((error: unknown) => {
    throw isUniqueViolation(error) ? taken : error;
  });
}

export async function addMembership(
  ctx: RequestContext,
  input: { sharedServiceOrganisationId: string; municipalityId: string; startsOn: string; endsOn?: string | null },
): Promise<Membership> {
  const ssoId = idOf('Organisation', input.sharedServiceOrganisationId, 'sharedServiceOrganisationId');
  const municipalityId = idOf('Organisation', input.municipalityId, 'municipalityId');
  const itself = ctx.viewer.kind === 'organisation' && ctx.viewer.role === 'OPERATOR' && ctx.viewer.organisationId === ssoId;
  if (!ctx.scope.isCoordinator && !itself) throw ctx.scope.denied('Adding memberships');
  const endsOn = input.endsOn ?? null;
  if (endsOn !== null && endsOn < input.startsOn) throw badInput('endsOn lies before startsOn', 'endsOn');
  return ctx.db.transaction(async (db) => {
    const [sso, municipality] = await Promise.all([db.findOneBy(Organisation, { id: ssoId }), db.findOneBy(Organisation, { id: municipalityId })]);
    if (!sso) throw notFound(`No organisation with id ${input.sharedServiceOrganisationId}`, 'sharedServiceOrganisationId');
    if (!municipality) throw notFound(`No organisation with id ${input.municipalityId}`, 'municipalityId');
    if (sso.kind !== 'SHARED_SERVICE_ORGANISATION') throw badInput(`${sso.name} is not a shared-service organisation`, 'sharedServiceOrganisationId');
    if (municipality.kind !== 'MUNICIPALITY') throw badInput(`${municipality.name} is not a municipality`, 'municipalityId');
    // One pair, one period at a time: a second, overlapping membership would count the municipality twice.
    await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`membership:${ssoId}:${municipalityId}`]);
    const [overlap] = await db.query(
      `SELECT id FROM membership WHERE shared_service_organisation_id = $1 AND municipality_id = $2
          AND starts_on <= COALESCE($4::date, 'infinity'::date) AND COALESCE(ends_on, 'infinity'::date) >= $3::date`,
      [ssoId, municipalityId, input.startsOn, endsOn],
    );
    if (overlap) throw new AppError('CONFLICT', `${sso.name} already serves ${municipality.name} in that period`, 'startsOn');
    const id = randomUUID();
    await db.insert(Membership, { id, sharedServiceOrganisationId: ssoId, municipalityId, startsOn: input.startsOn, endsOn });
    await recordAudit(db, ctx, { operation: 'addMembership', entityType: 'Membership', entityId: id });
    return db.findOneByOrFail(Membership, { id });
  });
}

/**
 * Ends a membership on `endsOn` (default: today): the shared-service organisation no longer serves
 * the municipality after that day. Either party may end it, or a coordinator. The row stays, so the
 * memberships of the past stay readable; an end in the past is refused. Ending it again on the same
 * day returns it unchanged; a later end than one already set is a CONFLICT (add a new membership).
 */
export async function endMembership(ctx: RequestContext, input: { membershipId: string; endsOn?: string | null }): Promise<Membership> {
  const id = idOf('Membership', input.membershipId, 'membershipId');
  ctx.scope.requireOrganisation('Ending memberships');
  const endsOn = input.endsOn ?? ctx.now.toISOString().slice(0, 10);
  return ctx.db.transaction(async (db) => {
    const membership = await db.findOneBy(Membership, { id });
    if (!membership) throw notFound(`No membership with id ${input.membershipId}`, 'membershipId');
    const party = ctx.scope.organisationId === membership.sharedServiceOrganisationId || ctx.scope.organisationId === membership.municipalityId;
    if (!ctx.scope.isCoordinator && !party) throw ctx.scope.denied('Ending this membership');
    const today = ctx.now.toISOString().slice(0, 10);
    if (endsOn < today) throw badInput('A membership cannot end in the past: what it served then stays as it was', 'endsOn');
    if (endsOn < membership.startsOn) throw badInput(`endsOn lies before the membership began (${membership.startsOn})`, 'endsOn');
    if (membership.endsOn === endsOn) return membership;
    if (membership.endsOn !== null && membership.endsOn < endsOn) {
      throw new AppError('CONFLICT', `The membership already ended on ${membership.endsOn}`, 'endsOn');
    }
    await db.query('UPDATE membership SET ends_on = $2 WHERE id = $1', [id, endsOn]);
    await recordAudit(db, ctx, { operation: 'endMembership', entityType: 'Membership', entityId: id });
    return db.findOneByOrFail(Membership, { id });
  });
}
