import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { RequestContext } from '../../context';
import { AppError, badInput, notFound } from '../../errors';
import { recordAudit } from '../audit';
import { checkRecipients, recipientRepository } from '../../common/tlp-recipients';
import type { TlpLabel } from '../../common/tlp';
import { idOf } from '../../common/global-id';
import { optionalText, pastMoment, requiredText } from '../../common/input';
import { isUniqueViolation } from '../../common/sql';
import { Advice, Advisory, AdvisoryAffectedProduct, AdvisoryRevision, GatewayRemediation, RemediationState } from './advisory.entity';
import type { ProductStatus } from './matching';
import { compareVersionPrefix, parseCpe, parseVersionRange } from './versions';

const CVE = /^CVE-\d{4}-\d{4,}$/;
const CVSS_VECTOR = /^CVSS:3\.[01]\/AV:[NALP]\/AC:[LH]\/PR:[NLH]\/UI:[NR]\/S:[UC]\/C:[NLH]\/I:[NLH]\/A:[NLH](\/[A-Za-z]+:[A-Za-z])*$/;

export interface ProductInput {
  productVendor: string; product: string; versionFrom?: string | null; versionTo?: string | null;
  status?: ProductStatus | null; version?: string | null; versionRange?: string | null; cpe?: string | null;
}

type StatementRow = Omit<AdvisoryAffectedProduct, 'id' | 'advisoryId' | 'revision' | 'vendorKey'>;

function checkProducts(products: ProductInput[], field: string): StatementRow[] {
  if (products.length === 0) throw badInput('Name at least one affected product', field);
  if (products.length > 5000) throw badInput('At most 5000 products', field);
  return products.map((p, ordinal) => {
    const row: StatementRow = {
      ordinal,
      status: p.status ?? 'KNOWN_AFFECTED',
      cve: null,
      productVendor: requiredText(p.productVendor, `${field}.productVendor`, 100),
      product: requiredText(p.product, `${field}.product`, 100),
      versionFrom: optionalText(p.versionFrom, `${field}.versionFrom`, 100),
      versionTo: optionalText(p.versionTo, `${field}.versionTo`, 100),
      version: optionalText(p.version, `${field}.version`, 100),
      versionRange: optionalText(p.versionRange, `${field}.versionRange`, 1000),
      cpe: optionalText(p.cpe, `${field}.cpe`, 1000),
      purl: null, productRef: null, name: null,
    };
    if (row.versionFrom && row.versionTo && compareVersionPrefix(row.versionTo, row.versionFrom) < 0) {
      throw badInput(`versionTo ${row.versionTo} lies below versionFrom ${row.versionFrom}`, `${field}.versionTo`);
    }
    const ways = [row.version, row.versionRange, row.versionFrom ?? row.versionTo].filter((v) => v !== null).length;
    if (ways > 1) throw badInput('Name versions one way: version, versionRange, or versionFrom/versionTo', `${field}.version`);
    if (row.versionRange !== null && parseVersionRange(row.versionRange) === null) {
      throw badInput(`${row.versionRange.slice(0, 60)} is not a vers range like vers:generic/>=13.0|<13.0.47.24`, `${field}.versionRange`);
    }
    if (row.cpe !== null) {
      const cpe = parseCpe(row.cpe);
      if (!cpe) throw badInput('cpe must be a CPE 2.3 name (cpe:2.3:a:vendor:product:version:…) or a CPE 2.2 URI', `${field}.cpe`);
      if (ways === 0 && cpe.version) row.version = cpe.version;
    }
    return row;
  });
}

function checkCves(ids: string[] | null | undefined): string[] {
  const cveIds = [...new Set((ids ?? []).map((id) => id.trim().toUpperCase()))];
  const bad = cveIds.find((id) => !CVE.test(id));
  if (bad) throw badInput(`${bad.slice(0, 40)} is not a CVE id like CVE-2019-19781`, 'cveIds');
  return cveIds;
}

function checkCvss(score: number | null | undefined, vector: string | null | undefined): { cvssScore: number | null; cvssVector: string | null } {
  const cvss = score ?? null;
  if (cvss !== null && !(cvss >= 0 && cvss <= 10)) throw badInput('cvssScore lies from 0 to 10', 'cvssScore');
  const cvssVector = optionalText(vector, 'cvssVector', 200);
  if (cvssVector !== null && !CVSS_VECTOR.test(cvssVector)) throw badInput('cvssVector is a CVSS v3 vector like CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'cvssVector');
  return { cvssScore: cvss === null ? null : Math.round(cvss * 10) / 10, cvssVector };
}

export async function insertStatements(db: EntityManager, advisoryId: string, revision: number, rows: StatementRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await db.insert(AdvisoryAffectedProduct, rows.slice(i, i + 500).map((row) => ({ id: randomUUID(), advisoryId, revision, ...row })));
  }
}

/** The one place a coordinator-only advisory write checks its caller. */
function requireCoordinator(ctx: RequestContext, what: string): void {
  ctx.scope.requireRole(what, 'COORDINATOR');
}

export async function publishAdvisory(
  ctx: RequestContext,
  input: {
    reference: string; title: string; description?: string | null; publishedAt?: Date | null; cveIds?: string[] | null;
    cvssScore?: number | null; cvssVector?: string | null; advice: Advice; source?: string | null; tlp?: TlpLabel | null;
    recipientIds?: string[] | null; affectedProducts: ProductInput[];
  },
): Promise<Advisory> {
  requireCoordinator(ctx, 'Publishing advisories');
  const reference = requiredText(input.reference, 'reference', 100);
  const cveIds = checkCves(input.cveIds);
  const cvss = checkCvss(input.cvssScore, input.cvssVector);
  const products = checkProducts(input.affectedProducts, 'affectedProducts');
  const tlp = input.tlp ?? 'GREEN';
  const row = {
    id: randomUUID(), reference, cveIds, advice: input.advice, ...cvss, tlp,
    title: requiredText(input.title, 'title', 300),
    description: optionalText(input.description, 'description', 10_000),
    source: optionalText(input.source, 'source', 2000),
    publishedAt: pastMoment(input.publishedAt, 'publishedAt', ctx.now),
    publisherId: ctx.scope.actingOrganisationId,
  };
  const published = new AppError('CONFLICT', `Advisory ${reference} is already published`, 'reference');
  return ctx.db.transaction(async (db) => {
    const recipients = await checkRecipients(db, tlp, input.recipientIds);
    if (await db.findOneBy(Advisory, { reference })) throw published;
    await db.insert(Advisory, row);
    await insertStatements(db, row.id, 1, products);
    await recipientRepository.replace(db, 'Advisory', row.id, recipients);
    await recordAudit(db, ctx, { operation: 'publishAdvisory', entityType: 'Advisory', entityId: row.id });
    return db.findOneByOrFail(Advisory, { id: row.id });
  }).catch((error: unknown) => {
    // Two coordinators publishing one reference at the same moment: the unique index decides.
    throw isUniqueViolation(error) ? published : error;
  });
}

/** Locks the advisory row for the rest of the transaction. */
export async function lockAdvisory(db: EntityManager, id: string, field: string, globalId: string): Promise<Advisory> {
  const [row] = await db.query('SELECT id FROM advisory WHERE id = $1 FOR UPDATE', [id]);
  if (!row) throw notFound(`No advisory with id ${globalId}`, field);
  return db.findOneByOrFail(Advisory, { id });
}

const sameList = (a: readonly unknown[], b: readonly unknown[]) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Changes what an advisory says. Product statements are replaced as a new revision, in force from now,
 * so exposure at earlier moments keeps the old ones. Sending what the advisory already says changes
 * nothing (a retry after a lost answer gets `changed: false`, not a CONFLICT).
 */
export async function updateAdvisory(
  ctx: RequestContext,
  input: {
    advisoryId: string; revision: number; title?: string | null; description?: string | null; cveIds?: string[] | null;
    cvssScore?: number | null; cvssVector?: string | null; advice?: Advice | null; source?: string | null; tlp?: TlpLabel | null;
    recipientIds?: string[] | null; affectedProducts?: ProductInput[] | null; summary?: string | null;
  },
): Promise<{ advisory: Advisory; changed: boolean }> {
  requireCoordinator(ctx, 'Updating advisories');
  const id = idOf('Advisory', input.advisoryId, 'advisoryId');
  const summary = optionalText(input.summary, 'summary', 2000);
  const products = input.affectedProducts ? checkProducts(input.affectedProducts, 'affectedProducts') : null;
  const changes: Partial<Advisory> = {};
  if (input.title !== undefined && input.title !== null) changes.title = requiredText(input.title, 'title', 300);
  if (input.description !== undefined) changes.description = optionalText(input.description, 'description', 10_000);
  if (input.cveIds !== undefined && input.cveIds !== null) changes.cveIds = checkCves(input.cveIds);
  if (input.cvssScore !== undefined || input.cvssVector !== undefined) {
    const cvss = checkCvss(input.cvssScore, input.cvssVector);
    if (input.cvssScore !== undefined) changes.cvssScore = cvss.cvssScore;
    if (input.cvssVector !== undefined) changes.cvssVector = cvss.cvssVector;
  }
  if (input.advice) changes.advice = input.advice;
  if (input.source !== undefined) changes.source = optionalText(input.source, 'source', 2000);
  if (input.tlp) changes.tlp = input.tlp;

  await readableOrDenied(ctx, id, input.advisoryId);
  return ctx.db.transaction(async (db) => {
    const advisory = await lockAdvisory(db, id, 'advisoryId', input.advisoryId);
    if (advisory.csafTrackingId !== null) {
      const fromDocument = Object.keys(changes).filter((key) => key !== 'advice');
      if (fromDocument.length > 0 || products) {
        throw new AppError('CONFLICT', `${[...fromDocument, ...(products ? ['affectedProducts'] : [])].join(', ')} of an imported advisory come from its CSAF document: import a newer revision`, fromDocument[0] ?? 'affectedProducts');
      }
    }
    const tlp = changes.tlp ?? advisory.tlp;
    const recipients = input.recipientIds !== undefined && input.recipientIds !== null
      ? await checkRecipients(db, tlp, input.recipientIds)
      : tlp === 'RED' ? (await recipientRepository.bySubjects(db, 'Advisory', [id])).map((r) => r.organisationId) : [];
    if (tlp === 'RED' && recipients.length === 0) throw badInput('TLP:RED needs at least one named recipient', 'recipientIds');
    if (tlp !== 'RED' && input.recipientIds?.length) throw badInput('Recipients are named only for TLP:RED', 'recipientIds');

    const current = await db.find(AdvisoryAffectedProduct, { where: { advisoryId: id, revision: advisory.revision }, order: { ordinal: 'ASC' } });
    const productsChange = products !== null && !sameList(products.map(comparable), current.map(comparable));
    const fieldChanges = Object.entries(changes).filter(([key, value]) => !sameList([value], [(advisory as unknown as Record<string, unknown>)[key]]));
    const oldRecipients = (await recipientRepository.bySubjects(db, 'Advisory', [id])).map((r) => r.organisationId);
    const recipientsChange = !sameList([...recipients].sort(), oldRecipients);
    if (!productsChange && fieldChanges.length === 0 && !recipientsChange) return { advisory, changed: false };
    if (input.revision !== advisory.revision) {
      throw new AppError('CONFLICT', `The advisory is at revision ${advisory.revision}, not ${input.revision}: read it again`, 'revision');
    }
    const revision = advisory.revision + 1;
    await db.update(Advisory, { id }, { ...Object.fromEntries(fieldChanges), revision, updatedAt: ctx.now });
    await db.insert(AdvisoryRevision, { advisoryId: id, number: revision, releasedAt: ctx.now, recordedById: ctx.scope.actingOrganisationId, summary, csafVersion: null, document: null, documentSha256: null });
    // The statements belong to a revision: an update without new ones carries the old ones over.
    await insertStatements(db, id, revision, products ?? current.map(statementRow));
    await db.query(
      `INSERT INTO advisory_vulnerability (advisory_id, revision, ordinal, cve, title, cvss_score, cvss_vector, remediations)
       SELECT advisory_id, $2, ordinal, cve, title, cvss_score, cvss_vector, remediations FROM advisory_vulnerability WHERE advisory_id = $1 AND revision = $3`,
      [id, revision, advisory.revision],
    );
    if (recipientsChange) await recipientRepository.replace(db, 'Advisory', id, recipients);
    await recordAudit(db, ctx, { operation: 'updateAdvisory', entityType: 'Advisory', entityId: id });
    return { advisory: await db.findOneByOrFail(Advisory, { id }), changed: true };
  });
}

function statementRow(s: AdvisoryAffectedProduct): StatementRow {
  const { id: _id, advisoryId: _a, revision: _r, vendorKey: _v, ...row } = s;
  return row;
}

function comparable(s: StatementRow | AdvisoryAffectedProduct) {
  return [s.status, s.cve, s.productVendor, s.product, s.version, s.versionRange, s.versionFrom, s.versionTo, s.cpe];
}

/** Withdrawing keeps the advisory in history; from `withdrawnAt` on it counts for nothing. Again: no change. */
export async function withdrawAdvisory(ctx: RequestContext, input: { advisoryId: string; reason: string; withdrawnAt?: Date | null }): Promise<Advisory> {
  requireCoordinator(ctx, 'Withdrawing advisories');
  const id = idOf('Advisory', input.advisoryId, 'advisoryId');
  const reason = requiredText(input.reason, 'reason', 2000);
  const withdrawnAt = pastMoment(input.withdrawnAt, 'withdrawnAt', ctx.now);
  await readableOrDenied(ctx, id, input.advisoryId);
  return ctx.db.transaction(async (db) => {
    const advisory = await lockAdvisory(db, id, 'advisoryId', input.advisoryId);
    if (advisory.withdrawnAt !== null) return advisory;
    if (withdrawnAt.getTime() < advisory.publishedAt.getTime()) throw badInput('withdrawnAt lies before the advisory was published', 'withdrawnAt');
    await db.update(Advisory, { id }, { withdrawnAt, withdrawalReason: reason, updatedAt: ctx.now });
    await recordAudit(db, ctx, { operation: 'withdrawAdvisory', entityType: 'Advisory', entityId: id });
    return db.findOneByOrFail(Advisory, { id });
  });
}

/**
 * A write needs to read what it writes to (TLP). Asked before the transaction: the guard reads through
 * the request's loaders, and the embedded engine has one connection, which the transaction holds.
 */
async function readableOrDenied(ctx: RequestContext, id: string, globalId: string): Promise<Advisory> {
  const advisory = await ctx.loaders.advisoryById.load(id);
  if (!advisory) throw notFound(`No advisory with id ${globalId}`, 'advisoryId');
  return advisory;
}

const REMEDIATION_KINDS = new Set(['GATEWAY', 'APPLICATION']);

/**
 * The state of one gateway for one advisory, appended to its history. The gateway's operator (with a
 * writing role) or a coordinator, for an advisory it may read. A retry with the same idempotency key
 * returns the first record; the same key for a different record is a CONFLICT.
 */
export async function recordRemediation(
  ctx: RequestContext,
  input: {
    advisoryId: string; gatewayId: string; state: RemediationState; note?: string | null; source?: string | null;
    observedAt?: Date | null; reportedBy?: string | null; idempotencyKey?: string | null;
  },
): Promise<{ remediation: GatewayRemediation; replayed: boolean }> {
  ctx.scope.requireRole('Recording remediation', 'OPERATOR', 'VENDOR', 'COORDINATOR');
  const advisoryId = idOf('Advisory', input.advisoryId, 'advisoryId');
  const gatewayId = idOf('Component', input.gatewayId, 'gatewayId');
  const row = {
    advisoryId, gatewayId, state: input.state,
    note: optionalText(input.note, 'note', 5000),
    source: optionalText(input.source, 'source', 2000),
    reportedBy: optionalText(input.reportedBy, 'reportedBy', 200),
    observedAt: pastMoment(input.observedAt, 'observedAt', ctx.now),
    idempotencyKey: optionalText(input.idempotencyKey, 'idempotencyKey', 200),
    recordedById: ctx.scope.actingOrganisationId,
  };
  if (row.idempotencyKey !== null && row.idempotencyKey.trim() === '') throw badInput('idempotencyKey must not be empty', 'idempotencyKey');
  const replay = async (db: EntityManager) => {
    if (row.idempotencyKey === null) return null;
    const first = await db.findOneBy(GatewayRemediation, { recordedById: row.recordedById, idempotencyKey: row.idempotencyKey });
    if (!first) return null;
    const same = first.advisoryId === row.advisoryId && first.gatewayId === row.gatewayId && first.state === row.state && first.note === row.note
      && first.source === row.source && (input.observedAt == null || first.observedAt.getTime() === row.observedAt.getTime());
    if (!same) throw new AppError('CONFLICT', 'This idempotencyKey was used for a different remediation record', 'idempotencyKey');
    return { remediation: first, replayed: true };
  };
  const earlier = await replay(ctx.db);
  if (earlier) return earlier;
  await readableOrDenied(ctx, advisoryId, input.advisoryId);
  const gateway = await ctx.unguarded.componentById.load(gatewayId);
  if (!gateway) throw notFound(`No component with id ${input.gatewayId}`, 'gatewayId');
  ctx.scope.requireOperatorOf(gateway, 'Recording remediation for another organisation’s gateway');
  if (!REMEDIATION_KINDS.has(gateway.kind)) throw badInput('Remediation is recorded for gateways and applications', 'gatewayId');
  try {
    return await ctx.db.transaction(async (db) => {
      const id = randomUUID();
      await db.insert(GatewayRemediation, { id, ...row });
      await recordAudit(db, ctx, { operation: 'recordRemediation', entityType: 'GatewayRemediation', entityId: id });
      return { remediation: await db.findOneByOrFail(GatewayRemediation, { id }), replayed: false };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      const raced = await replay(ctx.db);
      if (raced) return raced;
    }
    throw error;
  }
}
