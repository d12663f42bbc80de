import { compareVersionPrefix, compareVersions, nameKey, parseVersionRange, rangeContains, sameProduct } from './versions';

export type ProductStatus = 'KNOWN_AFFECTED' | 'FIXED' | 'KNOWN_NOT_AFFECTED' | 'UNDER_INVESTIGATION';

/** What a statement says about a product, in the words matching needs. */
export interface ProductFacts {
  productVendor: string;
  product: string;
  status: ProductStatus;
  /** An exact version (CSAF product_version, or the version of a CPE or purl). */
  version: string | null;
  /** A `vers:` or vers-like range (CSAF product_version_range). */
  versionRange: string | null;
  /** publishAdvisory's inclusive bounds; a bound with fewer parts covers every build under it. */
  versionFrom: string | null;
  versionTo: string | null;
}

export interface InventoryItem {
  productVendor: string | null;
  product: string | null;
  version: string | null;
}

export const isAffectedStatus = (status: ProductStatus) => status === 'KNOWN_AFFECTED' || status === 'UNDER_INVESTIGATION';

/**
 * Whether a statement speaks about this gateway (or application). Vendor and product must be the same
 * names (see `sameProduct`); then the version decides. A gateway whose version nobody recorded, or a
 * range nobody can read, is affected by an "affected" statement and never declared safe by a "fixed"
 * or "not affected" one: a coordinator must not be told "safe" for lack of data.
 */
export function statementMatches(statement: ProductFacts, item: InventoryItem): boolean {
  if (!item.productVendor || !item.product) return false;
  if (nameKey(item.productVendor) !== nameKey(statement.productVendor)) return false;
  if (!sameProduct(statement.productVendor, statement.product, item.product)) return false;
  const affected = isAffectedStatus(statement.status);
  const version = item.version?.trim() ? item.version : null;
  const versionSpecific = statement.version !== null || statement.versionRange !== null || statement.versionFrom !== null || statement.versionTo !== null;
  if (!versionSpecific) return true;
  if (version === null) return affected;
  if (statement.version !== null) return compareVersions(version, statement.version) === 0;
  if (statement.versionRange !== null) {
    const range = parseVersionRange(statement.versionRange);
    return range === null ? affected : rangeContains(range, version);
  }
  if (statement.versionFrom !== null && compareVersionPrefix(version, statement.versionFrom) < 0) return false;
  if (statement.versionTo !== null && compareVersionPrefix(version, statement.versionTo) > 0) return false;
  return true;
}
