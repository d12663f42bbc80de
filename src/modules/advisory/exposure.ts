import { EntityManager } from 'typeorm';
import type { Component } from '../component';
import type { Advisory, AdvisoryAffectedProduct, AdvisoryRevision } from './advisory.entity';
import { advisoryRepository } from './advisory.repository';
import { InventoryItem, isAffectedStatus, statementMatches } from './matching';
import { nameKey } from './versions';

/**
 * The statement that makes an item exposed to an advisory's revision, or null. For each vulnerability
 * an affected statement (known affected, under investigation) matching the item counts unless
 * - the same revision also says "fixed" or "not affected" for the item (the more specific statement
 *   wins within one document), or
 * - another document (a VEX document, a vendor's advisory) says so about the same CVE in a revision
 *   that took effect after this one's: what was learnt later wins.
 */
export function exposingStatement(
  item: InventoryItem,
  own: AdvisoryAffectedProduct[],
  ownReleasedAt: Date,
  others: (AdvisoryAffectedProduct & { releasedAt: Date })[],
): AdvisoryAffectedProduct | null {
  const matching = own.filter((s) => statementMatches(s, item));
  for (const statement of matching) {
    if (!isAffectedStatus(statement.status)) continue;
    const sameVulnerability = (s: AdvisoryAffectedProduct) => s.cve === null || statement.cve === null || s.cve === statement.cve;
    if (matching.some((s) => !isAffectedStatus(s.status) && sameVulnerability(s))) continue;
    if (statement.cve !== null) {
      const later = others
        .filter((s) => s.cve === statement.cve && s.releasedAt.getTime() > ownReleasedAt.getTime() && statementMatches(s, item))
        .sort((a, b) => b.releasedAt.getTime() - a.releasedAt.getTime());
      // The newest moment decides; at that moment "fixed" or "not affected" wins over "affected".
      const newest = later.filter((s) => s.releasedAt.getTime() === later[0]?.releasedAt.getTime());
      if (newest.some((s) => !isAffectedStatus(s.status))) continue;
    }
    return statement;
  }
  return null;
}

/** Revision 1 of an advisory typed in has no row: it took effect at publication. */
export function revisionsOf(advisory: Advisory, rows: AdvisoryRevision[]): AdvisoryRevision[] {
  if (rows.some((row) => row.number === 1)) return rows;
  const first: AdvisoryRevision = {
    advisoryId: advisory.id, number: 1, releasedAt: advisory.publishedAt, recordedAt: advisory.createdAt, recordedById: advisory.publisherId,
    summary: null, csafVersion: null, document: null, documentSha256: null,
  };
  return [first, ...rows];
}

/** The revision in force at `asOf`; before the first took effect, the first (the vulnerability was there before it was published). */
export function revisionAt(revisions: AdvisoryRevision[], asOf: Date): AdvisoryRevision {
  let found = revisions[0];
  for (const revision of revisions) if (revision.releasedAt.getTime() <= asOf.getTime()) found = revision;
  return found;
}

export interface Match { component: Component; matchedBy: AdvisoryAffectedProduct }
export interface Judged { withdrawn: boolean; matches: Match[] }

/**
 * Every gateway and application exposed to each advisory at `asOf`, judged on the revision then in
 * force and on the components' versions now (a changed version moves a gateway in or out at once).
 * Nothing from an advisory's withdrawal on. Reads every component it may match: callers filter for
 * their reader. Four statements for any number of advisories.
 */
export async function judgeExposures(db: EntityManager, advisories: Advisory[], asOf: Date): Promise<Map<string, Judged>> {
  const judged = new Map<string, Judged>();
  const live = advisories.filter((a) => a.withdrawnAt === null || a.withdrawnAt.getTime() > asOf.getTime());
  for (const advisory of advisories) judged.set(advisory.id, { withdrawn: !live.includes(advisory), matches: [] });
  if (live.length === 0) return judged;
  const revisionRows = await advisoryRepository.revisions(db, live.map((a) => a.id));
  const inForce = new Map(live.map((advisory) => [advisory.id, revisionAt(revisionsOf(advisory, revisionRows.filter((r) => r.advisoryId === advisory.id)), asOf)]));
  const statements = await advisoryRepository.statementsOfRevisions(db, [...inForce.entries()].map(([advisoryId, r]) => ({ advisoryId, revision: r.number })));
  const own = new Map<string, AdvisoryAffectedProduct[]>(live.map((a) => [a.id, []]));
  for (const statement of statements) own.get(statement.advisoryId)!.push(statement);
  const vendorKeys = [...new Set(statements.filter((s) => isAffectedStatus(s.status)).map((s) => nameKey(s.productVendor)))];
  const cves = [...new Set(statements.map((s) => s.cve).filter((cve): cve is string => cve !== null))];
  const [candidates, others] = await Promise.all([
    advisoryRepository.componentsOfVendors(db, vendorKeys),
    advisoryRepository.statementsAbout(db, cves, vendorKeys, asOf),
  ]);
  for (const advisory of live) {
    const mine = own.get(advisory.id)!;
    const releasedAt = inForce.get(advisory.id)!.releasedAt;
    const theirs = others.filter((s) => s.advisoryId !== advisory.id);
    const matches = judged.get(advisory.id)!.matches;
    for (const component of candidates) {
      const matchedBy = exposingStatement(component, mine, releasedAt, theirs);
      if (matchedBy) matches.push({ component, matchedBy });
    }
  }
  return judged;
}

export async function judgeExposure(db: EntityManager, advisory: Advisory, asOf: Date): Promise<Judged> {
  return (await judgeExposures(db, [advisory], asOf)).get(advisory.id)!;
}
