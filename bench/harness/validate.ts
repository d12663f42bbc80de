/**
 * Every answer is compared with the floor's after normalising what the contract leaves open: the
 * order of list items and how a DateTime is spelled. Everything else must be equal.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Verdict {
  ok: boolean;
  /** The first differences found, for the report; empty when ok. */
  problems: string[];
}

function graphqlErrors(body: Json): string[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return ['response is not a JSON object'];
  const errors = body.errors;
  if (Array.isArray(errors) && errors.length > 0) {
    return errors.slice(0, 3).map((e) => `GraphQL error: ${JSON.stringify(e).slice(0, 300)}`);
  }
  if (!('data' in body) || body.data === null) return ['no data'];
  return [];
}

function path(value: Json, ...keys: string[]): Json {
  let current: Json = value;
  for (const key of keys) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return null;
    current = current[key] ?? null;
  }
  return current;
}

function moment(value: Json): number | null {
  return typeof value === 'string' ? new Date(value).getTime() : null;
}

function asArray(value: Json): Json[] {
  return Array.isArray(value) ? value : [];
}

export function normaliseDashboard(body: Json): Json {
  const municipality = path(body, 'data', 'municipality');
  if (municipality === null) return null;
  return asArray(path(municipality, 'services'))
    .map((s) => ({
      id: path(s, 'service', 'id'), name: path(s, 'service', 'name'), status: path(s, 'status'),
      cause: path(s, 'cause'), since: moment(path(s, 'since')),
      rootCause: asArray(path(s, 'rootCause')).map((c) => `${String(path(c, 'id'))}|${String(path(c, 'name'))}`),
    }))
    .sort((a, b) => String(a.id).localeCompare(String(b.id)));
}

/** W1P: the public form has no ids, so services compare by name, status, cause and since, sorted. */
export function normalisePublicDashboard(body: Json): Json {
  const municipality = path(body, 'data', 'municipality');
  if (municipality === null) return null;
  return asArray(path(municipality, 'services'))
    .map((s) => [path(s, 'service', 'name'), path(s, 'status'), path(s, 'cause'), moment(path(s, 'since'))].map((v) => String(v)).join('|'))
    .sort();
}

/** PostGraphile answers the raw graph, not the dashboard: compare the one thing both contain, the services. */
export function normalisePostGraphileServices(body: Json): Json {
  const deliveries = asArray(path(body, 'data', 'municipality', 'serviceDeliveriesByMunicipalityId', 'nodes'));
  return deliveries.map((d) => String(path(d, 'service', 'name'))).sort();
}

export function dashboardServiceNames(body: Json): Json {
  return asArray(normaliseDashboard(body)).map((s) => String(path(s, 'name'))).sort();
}

export function normaliseOverview(body: Json): Json {
  const overview = path(body, 'data', 'nationalOverview');
  const byStatus = asArray(path(overview, 'componentsByStatus'))
    .map((s) => `${String(path(s, 'status'))}=${String(path(s, 'count'))}`).sort();
  const byProduct = asArray(path(overview, 'gatewaysByProduct'))
    .map((p) => ['vendor', 'product', 'version', 'status', 'count'].map((k) => String(path(p, k))).join('|')).sort();
  return { byStatus, byProduct, residentsAffected: path(overview, 'residentsAffected') };
}

export function normaliseImpact(body: Json): Json {
  const impact = path(body, 'data', 'impact');
  return {
    residentsAffected: path(impact, 'residentsAffected'),
    municipalities: asArray(path(impact, 'municipalities')).map((m) => String(path(m, 'cbsCode'))).sort(),
    affected: asArray(path(impact, 'affected'))
      .map((a) => `${String(path(a, 'municipality', 'cbsCode'))}|${String(path(a, 'service', 'id'))}|${String(path(a, 'status'))}`).sort(),
  };
}

export function normaliseReport(body: Json): Json {
  const payload = path(body, 'data', 'reportStatus');
  return { stored: payload !== null && path(payload, 'replayed') === false };
}

/** The first few places where two normalised answers differ. */
export function differences(expected: Json, actual: Json, where = '', found: string[] = []): string[] {
  if (found.length >= 5) return found;
  if (JSON.stringify(expected) === JSON.stringify(actual)) return found;
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) found.push(`${where || 'answer'}: ${actual.length} items, floor has ${expected.length}`);
    for (let i = 0; i < Math.min(expected.length, actual.length) && found.length < 5; i++) differences(expected[i], actual[i], `${where}[${i}]`, found);
    return found;
  }
  if (expected && actual && typeof expected === 'object' && typeof actual === 'object' && !Array.isArray(expected) && !Array.isArray(actual)) {
    for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      if (found.length >= 5) break;
      differences(expected[key] ?? null, actual[key] ?? null, `${where}.${key}`, found);
    }
    return found;
  }
  found.push(`${where || 'answer'}: ${JSON.stringify(actual)?.slice(0, 200)}, floor says ${JSON.stringify(expected)?.slice(0, 200)}`);
  return found;
}

export function verdict(expected: Json, body: Json, normalise: (body: Json) => Json): Verdict {
  const errors = graphqlErrors(body);
  if (errors.length > 0) return { ok: false, problems: errors };
  const problems = differences(normalise(expected), normalise(body));
  return { ok: problems.length === 0, problems };
}

export type { Json };
