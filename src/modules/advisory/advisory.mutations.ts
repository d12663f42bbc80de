import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../../context';
import { AppError, badInput } from '../../errors';
import { recordAudit } from '../audit';
import { optionalText, pastMoment, requiredText } from '../../common/input';
import { Advice, Advisory, AdvisoryAffectedProduct } from './advisory.entity';
import { isUniqueViolation } from '../../common/sql';
import { compareVersionPrefix } from './version-range';

const CVE = /^CVE-\d{4}-\d{4,}$/;

export async function publishAdvisory(
  ctx: RequestContext,
  input: {
    reference: string; title: string; description?: string | null; publishedAt?: Date | null; cveIds?: string[] | null;
    cvssScore?: number | null; advice: Advice; source?: string | null;
    affectedProducts: { productVendor: string; product: string; versionFrom?: string | null; versionTo?: string | null }[];
  },
): Promise<Advisory> {
  ctx.scope.requireRole('Publishing advisories', 'COORDINATOR');
  const reference = requiredText(input.reference, 'reference', 100);
  const cveIds = [...new Set((input.cveIds ?? []).map((id) => id.trim().toUpperCase()))];
  const badCve = cveIds.find((id) => !CVE.test(id));
  if (badCve) throw badInput(`${badCve.slice(0, 40)} is not a CVE id like CVE-2019-19781`, 'cveIds');
  const cvss = input.cvssScore ?? null;
  if (cvss !== null && !(cvss >= 0 && cvss <= 10)) throw badInput('cvssScore lies from 0 to 10', 'cvssScore');
  if (input.affectedProducts.length === 0) throw badInput('Name at least one affected product', 'affectedProducts');
  const products = input.affectedProducts.map((p) => {
    const product = {
      productVendor: requiredText(p.productVendor, 'affectedProducts.productVendor', 100),
      product: requiredText(p.product, 'affectedProducts.product', 100),
      versionFrom: optionalText(p.versionFrom, 'affectedProducts.versionFrom', 100),
      versionTo: optionalText(p.versionTo, 'affectedProducts.versionTo', 100),
    };
    if (product.versionFrom && product.versionTo && compareVersionPrefix(product.versionTo, product.versionFrom) < 0) {
      throw badInput(`versionTo ${product.versionTo} lies below versionFrom ${product.versionFrom}`, 'affectedProducts.versionTo');
    }
    return product;
  });
  const row = {
    id: randomUUID(), reference, cveIds, advice: input.advice, cvssScore: cvss === null ? null : Math.round(cvss * 10) / 10,
    title: requiredText(input.title, 'title', 300),
    description: optionalText(input.description, 'description', 10_000),
    source: optionalText(input.source, 'source', 2000),
    publishedAt: pastMoment(input.publishedAt, 'publishedAt', ctx.now),
    publisherId: ctx.scope.actingOrganisationId,
  };
  const published = new AppError('CONFLICT', `Advisory ${reference} is already published`, 'reference');
  return ctx.db.transaction(async (db) => {
    if (await db.findOneBy(Advisory, { reference })) throw published;
    await db.insert(Advisory, row);
    for (const product of products) await db.insert(AdvisoryAffectedProduct, { id: randomUUID(), advisoryId: row.id, ...product });
    await recordAudit(db, ctx, { operation: 'publishAdvisory', entityType: 'Advisory', entityId: row.id });
    return db.findOneByOrFail(Advisory, { id: row.id });
  }).catch((error: unknown) => {
    // Two coordinators publishing one reference at the same moment: the unique index decides.
    throw isUniqueViolation(error) ? published : error;
  });
}
