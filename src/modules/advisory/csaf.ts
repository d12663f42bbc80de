import type { ProductStatus } from './matching';
import { parseCpe, parsePurl } from './versions';
import type { TlpLabel } from '../../common/tlp';

/**
 * A valid CSAF 2.0 document (the validator ran first) read into what ketenbeeld keeps of it: the
 * advisory, its vulnerabilities with CVSS v3 and remediations, and one product statement per
 * vulnerability × product × status.
 */
export interface CsafAdvisory {
  namespace: string;
  trackingId: string;
  version: string;
  status: string;
  category: string;
  publisherName: string;
  title: string;
  description: string | null;
  initialReleaseDate: Date;
  currentReleaseDate: Date;
  revisionHistory: { number: string; date: string; summary: string }[];
  tlp: TlpLabel | null;
  source: string | null;
  cveIds: string[];
  cvssScore: number | null;
  cvssVector: string | null;
  hasMitigation: boolean;
  vulnerabilities: CsafVulnerability[];
  statements: CsafStatement[];
}

export interface CsafRemediation { category: string; details: string; url: string | null; productIds: string[] }

export interface CsafVulnerability {
  ordinal: number;
  cve: string | null;
  title: string | null;
  cvssScore: number | null;
  cvssVector: string | null;
  remediations: CsafRemediation[];
}

export interface CsafStatement {
  /** The CVE, or for a vulnerability without one its first id, or the document's own key for it. */
  cve: string;
  status: ProductStatus;
  productRef: string;
  name: string;
  productVendor: string;
  product: string;
  version: string | null;
  versionRange: string | null;
  cpe: string | null;
  purl: string | null;
}

interface CsafProduct { productRef: string; name: string; productVendor: string; product: string; version: string | null; versionRange: string | null; cpe: string | null; purl: string | null }

/* The document is schema-valid before it gets here; these shapes are the parts read. */
interface FullProductName { name: string; product_id: string; product_identification_helper?: { cpe?: string; purl?: string } }
interface Branch { category: string; name: string; branches?: Branch[]; product?: FullProductName }
interface Score { products: string[]; cvss_v3?: { baseScore: number; vectorString: string } }
interface Vulnerability {
  cve?: string; title?: string; ids?: { system_name: string; text: string }[];
  product_status?: Record<string, string[]>;
  remediations?: { category: string; details: string; url?: string; product_ids?: string[]; group_ids?: string[] }[];
  scores?: Score[];
}
interface CsafDocument {
  document: {
    category: string; title: string; lang?: string;
    publisher: { name: string; namespace: string };
    distribution?: { tlp?: { label: string } };
    notes?: { category: string; text: string; title?: string }[];
    references?: { category?: string; url: string; summary: string }[];
    tracking: {
      id: string; version: string; status: string; initial_release_date: string; current_release_date: string;
      revision_history: { number: string; date: string; summary: string }[];
    };
  };
  product_tree?: {
    branches?: Branch[];
    full_product_names?: FullProductName[];
    relationships?: { product_reference: string; relates_to_product_reference: string; full_product_name: FullProductName }[];
    product_groups?: { group_id: string; product_ids: string[] }[];
  };
  vulnerabilities?: Vulnerability[];
}

const STATUS_OF: Record<string, ProductStatus> = {
  known_affected: 'KNOWN_AFFECTED', first_affected: 'KNOWN_AFFECTED', last_affected: 'KNOWN_AFFECTED',
  fixed: 'FIXED', first_fixed: 'FIXED', recommended: 'FIXED',
  known_not_affected: 'KNOWN_NOT_AFFECTED',
  under_investigation: 'UNDER_INVESTIGATION',
};

/** CSAF 2.0 speaks TLP 1 (WHITE); ketenbeeld speaks TLP 2.0, where WHITE became CLEAR. */
const TLP_OF: Record<string, TlpLabel> = { WHITE: 'CLEAR', CLEAR: 'CLEAR', GREEN: 'GREEN', AMBER: 'AMBER', 'AMBER+STRICT': 'AMBER_STRICT', RED: 'RED' };

const VERSION_BRANCHES = new Set(['product_version', 'service_pack', 'patch_level']);

export function readCsaf(raw: unknown): CsafAdvisory {
  const doc = raw as CsafDocument;
  const meta = doc.document;
  const publisherName = meta.publisher.name;
  const products = productsOf(doc, publisherName);
  const groups = new Map((doc.product_tree?.product_groups ?? []).map((g) => [g.group_id, g.product_ids]));

  const vulnerabilities: CsafVulnerability[] = [];
  const statements: CsafStatement[] = [];
  let hasMitigation = false;
  (doc.vulnerabilities ?? []).forEach((v, ordinal) => {
    const key = v.cve ?? (v.ids?.[0] ? `${v.ids[0].system_name}:${v.ids[0].text}` : `${meta.publisher.namespace}/${meta.tracking.id}#${ordinal + 1}`);
    const best = (v.scores ?? []).filter((s) => s.cvss_v3).sort((a, b) => b.cvss_v3!.baseScore - a.cvss_v3!.baseScore)[0];
    const remediations = (v.remediations ?? []).map((r) => ({
      category: r.category, details: r.details, url: r.url ?? null,
      productIds: [...new Set([...(r.product_ids ?? []), ...(r.group_ids ?? []).flatMap((g) => groups.get(g) ?? [])])],
    }));
    if (remediations.some((r) => r.category === 'mitigation' || r.category === 'workaround')) hasMitigation = true;
    vulnerabilities.push({
      ordinal, cve: v.cve ?? null, title: v.title ?? null,
      cvssScore: best ? best.cvss_v3!.baseScore : null, cvssVector: best ? best.cvss_v3!.vectorString : null, remediations,
    });
    const seen = new Set<string>();
    for (const [category, ids] of Object.entries(v.product_status ?? {})) {
      const status = STATUS_OF[category];
      if (!status) continue;
      for (const id of ids) {
        const product = products.get(id);
        if (!product || seen.has(`${status}|${id}`)) continue;
        seen.add(`${status}|${id}`);
        statements.push({ cve: key, status, ...product });
      }
    }
  });

  const scored = vulnerabilities.filter((v) => v.cvssScore !== null).sort((a, b) => b.cvssScore! - a.cvssScore!)[0];
  const notes = meta.notes ?? [];
  const summary = notes.find((n) => n.category === 'summary') ?? notes.find((n) => n.category === 'description');
  return {
    namespace: meta.publisher.namespace,
    trackingId: meta.tracking.id,
    version: meta.tracking.version,
    status: meta.tracking.status,
    category: meta.category,
    publisherName,
    title: meta.title,
    description: summary ? summary.text : null,
    initialReleaseDate: new Date(meta.tracking.initial_release_date),
    currentReleaseDate: new Date(meta.tracking.current_release_date),
    revisionHistory: meta.tracking.revision_history.map((r) => ({ number: r.number, date: r.date, summary: r.summary })),
    tlp: meta.distribution?.tlp?.label ? TLP_OF[meta.distribution.tlp.label.toUpperCase()] ?? null : null,
    source: meta.references?.find((r) => r.category === 'self')?.url ?? null,
    cveIds: [...new Set(vulnerabilities.map((v) => v.cve).filter((cve): cve is string => cve !== null))],
    cvssScore: scored ? scored.cvssScore : null,
    cvssVector: scored ? scored.cvssVector : null,
    hasMitigation,
    vulnerabilities,
    statements,
  };
}

/** Every product id of the tree, with vendor, product and version read from its branches, CPE or purl. */
function productsOf(doc: CsafDocument, publisherName: string): Map<string, CsafProduct> {
  const products = new Map<string, CsafProduct>();
  const add = (full: FullProductName, path: { vendor?: string; product?: string; version?: string; range?: string }) => {
    const helper = full.product_identification_helper ?? {};
    const cpe = helper.cpe ? parseCpe(helper.cpe) : null;
    const purl = helper.purl ? parsePurl(helper.purl) : null;
    products.set(full.product_id, {
      productRef: full.product_id,
      name: full.name,
      productVendor: path.vendor ?? cpe?.vendor ?? purl?.vendor ?? publisherName,
      product: path.product ?? cpe?.product ?? purl?.product ?? full.name,
      version: path.version ?? (path.range ? null : cpe?.version ?? purl?.version ?? null),
      versionRange: path.range ?? null,
      cpe: helper.cpe ?? null,
      purl: helper.purl ?? null,
    });
  };
  const walk = (branches: Branch[], path: { vendor?: string; product?: string; version?: string; range?: string }) => {
    for (const branch of branches) {
      const next = { ...path };
      if (branch.category === 'vendor') next.vendor = branch.name;
      else if (branch.category === 'product_name') next.product = branch.name;
      else if (branch.category === 'product_family' && !next.product) next.product = branch.name;
      else if (VERSION_BRANCHES.has(branch.category)) next.version = branch.name;
      else if (branch.category === 'product_version_range') next.range = branch.name;
      if (branch.product) add(branch.product, next);
      if (branch.branches) walk(branch.branches, next);
    }
  };
  walk(doc.product_tree?.branches ?? [], {});
  for (const full of doc.product_tree?.full_product_names ?? []) add(full, {});
  // "Component X installed on platform Y" is, for matching inventory, component X under the relationship's own id.
  for (const relationship of doc.product_tree?.relationships ?? []) {
    const component = products.get(relationship.product_reference);
    if (component) products.set(relationship.full_product_name.product_id, { ...component, productRef: relationship.full_product_name.product_id, name: relationship.full_product_name.name });
  }
  return products;
}
