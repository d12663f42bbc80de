import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
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

/**
 * A membership opens the municipality's picture to the shared-service organisation and lets it
 * deliver services to the municipality without asking: only a coordinator adds one directly. The
 * parties ask each other with requestMembership (docs/access.md, "Consent").
 */
export async function addMembership(
  ctx: RequestContext,
  input: { sharedServiceOrganisationId: string; municipalityId: string; startsOn: string; endsOn?: string | null },
): Promise<Membership> {
  const ssoId = idOf('Organisation', input.sharedServiceOrganisationId, 'sharedServiceOrganisationId');
  const municipalityId = idOf('Organisation', input.municipalityId, 'municipalityId');
  if (!ctx.scope.isCoordinator) {
    const party = ctx.scope.organisationId === ssoId || ctx.scope.organisationId === municipalityId;
    if (!party) throw ctx.scope.denied('Adding memberships');
    throw new AppError('FORBIDDEN', 'A membership needs the other party’s consent: requestMembership asks for it', 'municipalityId');
  }
  return ctx.db.transaction(async (db) => {
    const membership = await writeMembership(db, { ssoId, municipalityId, startsOn: input.startsOn, endsOn: input.endsOn ?? null }, input);
    await recordAudit(db, ctx, { operation: 'addMembership', entityType: 'Membership', entityId: membership.id });
    return membership;
  });
}

/**
 * Writes a membership, for a caller already allowed to (a coordinator, or an accepted relation
 * request). One pair, one period at a time: a second, overlapping membership would count the
 * municipality twice. `given` names the ids as the caller gave them, for the messages.
 */
export async function writeMembership(
  db: EntityManager,
  membership: { ssoId: string; municipalityId: string; startsOn: string; endsOn: string | null },
  given: { sharedServiceOrganisationId: string; municipalityId: string },
): Promise<Membership> {
  const { ssoId, municipalityId, startsOn, endsOn } = membership;
  if (endsOn !== null && endsOn < startsOn) throw badInput('endsOn lies before startsOn', 'endsOn');
  const [sso, municipality] = await Promise.all([db.findOneBy(Organisation, { id: ssoId }), db.findOneBy(Organisation, { id: municipalityId })]);
  if (!sso) throw notFound(`No organisation with id ${given.sharedServiceOrganisationId}`, 'sharedServiceOrganisationId');
  if (!municipality) throw notFound(`No organisation with id ${given.municipalityId}`, 'municipalityId');
  if (sso.kind !== 'SHARED_SERVICE_ORGANISATION') throw badInput(`${sso.name} is not a shared-service organisation`, 'sharedServiceOrganisationId');
  if (municipality.kind !== 'MUNICIPALITY') throw badInput(`${municipality.name} is not a municipality`, 'municipalityId');
  await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`membership:${ssoId}:${municipalityId}`]);
  const [overlap] = await db.query(
    `SELECT id FROM membership WHERE shared_service_organisation_id = $1 AND municipality_id = $2
        AND starts_on <= COALESCE($4::date, 'infinity'::date) AND COALESCE(ends_on, 'infinity'::date) >= $3::date`,
    [ssoId, municipalityId, startsOn, endsOn],
  );
  if (overlap) throw new AppError('CONFLICT', `${sso.name} already serves ${municipality.name} in that period`, 'startsOn');
  const id = randomUUID();
  await db.insert(Membership, { id, sharedServiceOrganisationId: ssoId, municipalityId, startsOn, endsOn });
  return db.findOneByOrFail(Membership, { id });
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
