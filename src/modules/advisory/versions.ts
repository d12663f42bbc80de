/**
 * Product versions as vendors write them, compared as a CERT analyst would: numbers as numbers
 * (13.0.47.24 < 13.0.47.100), separators ignored (12.1-55.18 = 12.1.55.18 = "12.1 Build 55.18"),
 * letters as their own parts (Cisco's 12.2(55)SE3), and a pre-release tag before its release
 * (1.0.0-rc1 < 1.0.0).
 */
/**
 * A number, a tag written after a separator (`-rc1`, `(55)SE`: before the release without it), or
 * letters attached to a number (Cisco's `2a`, `SE10a`: after the number alone).
 */
type Part = number | { tag: string } | { suffix: string };

const BUILD_WORDS = new Set(['build', 'b']);

export function versionParts(version: string): Part[] {
  const parts: Part[] = [];
  let previousEnd = -1;
  let previousWasNumber = false;
  for (const match of version.trim().toLowerCase().matchAll(/\d+|[a-z]+/g)) {
    const text = match[0];
    const attached = match.index === previousEnd;
    if (/^\d/.test(text)) {
      parts.push(Number(text));
      previousWasNumber = true;
    } else {
      if (!BUILD_WORDS.has(text)) parts.push(attached && previousWasNumber ? { suffix: text } : { tag: text });
      previousWasNumber = false;
    }
    previousEnd = match.index + text.length;
  }
  return parts;
}

/** The order of kinds at one position: a tag, nothing (or 0), a number, letters attached to the number before. */
function rank(part: Part | undefined): number {
  if (part === undefined) return 1;
  if (typeof part === 'number') return 2;
  return 'tag' in part ? 0 : 3;
}

function compareParts(a: Part[], b: Part[], length = Math.max(a.length, b.length)): number {
  for (let i = 0; i < length; i++) {
    let x = a[i];
    let y = b[i];
    if (x === undefined && y === undefined) return 0;
    // A missing part is 0 against a number: 2.0 = 2.0.0.
    if (x === undefined && y === 0) x = 0;
    if (y === undefined && x === 0) y = 0;
    const order = rank(x) - rank(y);
    if (order !== 0) return order < 0 ? -1 : 1;
    if (typeof x === 'number' && typeof y === 'number') {
      if (x !== y) return x < y ? -1 : 1;
    } else if (x !== undefined && y !== undefined && typeof x !== 'number' && typeof y !== 'number') {
      const [p, q] = ['tag' in x ? x.tag : x.suffix, 'tag' in y ? y.tag : y.suffix];
      if (p !== q) return p < q ? -1 : 1;
    }
  }
  return 0;
}

/** Negative, zero or positive as `a` is older than, the same as, or newer than `b`. */
export function compareVersions(a: string, b: string): number {
  return compareParts(versionParts(a), versionParts(b));
}

/**
 * Against a bound given with fewer parts, only those parts count: a range up to "13.0" includes
 * 13.0.47.24 (the inclusive bounds of publishAdvisory).
 */
export function compareVersionPrefix(version: string, bound: string): number {
  const boundParts = versionParts(bound);
  return compareParts(versionParts(version), boundParts, boundParts.length);
}

export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=';
export interface Constraint { comparator: Comparator; version: string }
/** `*`: every version. */
export type VersionRange = { any: true } | { any: false; constraints: Constraint[] };

const COMPARATOR = /^(>=|<=|!=|<|>|=)?\s*(.+)$/;

/**
 * A `vers:` range (`vers:generic/>=13.0|<13.0.47.46|!=13.0.41.20`), or a range written the way
 * CSAF's "vers-like" product_version_range allows (`<=4.2`, `>=1.0 <2.0`, `>= 1.0, < 2.0`).
 * Null when it is neither: the caller decides what an unreadable range means.
 */
export function parseVersionRange(text: string): VersionRange | null {
  let body = text.trim();
  if (/^vers:/i.test(body)) {
    const slash = body.indexOf('/');
    if (slash < 0) return null;
    body = body.slice(slash + 1).trim();
    if (body === '*') return { any: true };
    const constraints = body.split('|').map((piece) => parseConstraint(decodeURIComponent(piece)));
    return constraints.every((c): c is Constraint => c !== null) && constraints.length > 0 ? { any: false, constraints } : null;
  }
  if (body === '*' || /^all( versions)?$/i.test(body)) return { any: true };
  const pieces = body.split(/\s*[|,]\s*|\s+(?=[<>=!])/).filter((p) => p.trim() !== '');
  if (pieces.length === 0 || !pieces.every((p) => /^(>=|<=|!=|<|>|=)/.test(p.trim()))) return null;
  const constraints = pieces.map(parseConstraint);
  return constraints.every((c): c is Constraint => c !== null) ? { any: false, constraints } : null;
}

function parseConstraint(piece: string): Constraint | null {
  const match = piece.trim().match(COMPARATOR);
  if (!match) return null;
  const version = match[2].trim();
  if (version === '' || versionParts(version).length === 0) return null;
  return { comparator: (match[1] ?? '=') as Comparator, version };
}

/** The containment of the vers specification: equalities and exclusions first, then the intervals in version order. */
export function rangeContains(range: VersionRange, version: string): boolean {
  if (range.any) return true;
  for (const c of range.constraints) {
    const same = compareVersions(version, c.version) === 0;
    if (c.comparator === '=' && same) return true;
    if (c.comparator === '!=' && same) return false;
  }
  const bounds = range.constraints
    .filter((c) => c.comparator !== '=' && c.comparator !== '!=')
    .sort((a, b) => compareVersions(a.version, b.version));
  if (bounds.length === 0) return false;
  const satisfies = (c: Constraint) => {
    const order = compareVersions(version, c.version);
    switch (c.comparator) {
      case '<': return order < 0;
      case '<=': return order <= 0;
      case '>': return order > 0;
      case '>=': return order >= 0;
      default: return false;
    }
  };
  const first = bounds[0];
  if ((first.comparator === '<' || first.comparator === '<=') && satisfies(first)) return true;
  const last = bounds[bounds.length - 1];
  if ((last.comparator === '>' || last.comparator === '>=') && satisfies(last)) return true;
  for (let i = 0; i + 1 < bounds.length; i++) {
    const lower = bounds[i];
    const upper = bounds[i + 1];
    if ((lower.comparator === '>' || lower.comparator === '>=') && (upper.comparator === '<' || upper.comparator === '<=')
      && satisfies(lower) && satisfies(upper)) return true;
  }
  return false;
}

export interface CpeName { part: string; vendor: string; product: string; version: string | null }

/**
 * A CPE 2.3 formatted string (`cpe:2.3:a:citrix:netscaler_gateway:13.0:*:*:*:*:*:*:*`) or a CPE 2.2
 * URI (`cpe:/a:citrix:netscaler_gateway:13.0`). A version of `*` or `-` is no version; a specific
 * update joins the version (`12.1` update `55.18` is 12.1-55.18).
 */
export function parseCpe(cpe: string): CpeName | null {
  const text = cpe.trim();
  let fields: string[];
  if (/^cpe:2\.3:/i.test(text)) {
    fields = splitUnescaped(text.slice('cpe:2.3:'.length)).map((f) => f.replace(/\\(.)/g, '$1'));
  } else if (/^cpe:\//i.test(text)) {
    fields = text.slice('cpe:/'.length).split(':').map((f) => safeDecode(f));
  } else {
    return null;
  }
  const [part, vendor, product, version, update] = fields;
  if (!part || !vendor || !product || vendor === '*' || product === '*') return null;
  const specific = (value: string | undefined) => (value && value !== '*' && value !== '-' ? value : null);
  const base = specific(version);
  const extra = specific(update);
  return { part, vendor: vendor.replace(/_/g, ' '), product: product.replace(/_/g, ' '), version: base && extra ? `${base}-${extra}` : base };
}

function splitUnescaped(text: string): string[] {
  const fields: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && i + 1 < text.length) {
      current += text[i] + text[i + 1];
      i += 1;
    } else if (text[i] === ':') {
      fields.push(current);
      current = '';
    } else {
      current += text[i];
    }
  }
  fields.push(current);
  return fields;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export interface Purl { vendor: string; product: string; version: string | null }

/** `pkg:type/namespace/name@version`: the namespace's last segment (or the type) is the vendor. */
export function parsePurl(purl: string): Purl | null {
  const match = purl.trim().match(/^pkg:([^/]+)\/(.+?)(?:@([^?#]+))?(?:[?#].*)?$/i);
  if (!match) return null;
  const path = match[2].split('/').map(safeDecode).filter(Boolean);
  const product = path.pop();
  if (!product) return null;
  return { vendor: path.pop() ?? match[1], product, version: match[3] ? safeDecode(match[3]) : null };
}

/** Vendor and product names compared without case, spacing, underscores or hyphens. */
export function nameKey(name: string): string {
  return name.trim().toLowerCase().replace(/[\s_-]+/g, ' ');
}

/** "Citrix ADC" by Citrix is the product "ADC": a product named with its vendor's name in front matches the bare name. */
export function sameProduct(vendor: string, a: string, b: string): boolean {
  const v = nameKey(vendor);
  const strip = (name: string) => {
    const key = nameKey(name);
    return key.startsWith(`${v} `) ? key.slice(v.length + 1) : key;
  };
  return strip(a) === strip(b);
}
