import { getNullableType, isListType } from 'graphql';
import { ComplexityEstimator, ComplexityEstimatorArgs, getComplexity } from 'graphql-query-complexity';
import { MAX_PAGE_SIZE } from '../common/pagination';

/**
 * What a list without a `first` argument (a municipality's services, a component's dependencies,
 * a root-cause path) is assumed to hold. Real lists here are a handful to a few dozen items; ten
 * keeps a dashboard far below the limit while nesting such lists multiplies quickly.
 */
export const ASSUMED_LIST_SIZE = 10;

/**
 * Lists known to be far larger, by schema coordinate: a municipality receives 100 to 300 services
 * at national scale (the benchmark's country), each judged with its dependencies.
 */
export const LIST_SIZE_OF: Readonly<Record<string, number>> = {
  'Municipality.services': 200,
  // The incidents open behind one service: none or one almost always (the same incident stands
  // behind many services), two to be safe.
  'ServiceAvailability.incidents': 2,
  // One result per report: the batch's own field multiplies by the reports sent (BATCHES).
  'ReportStatusesPayload.results': 1,
};

/**
 * Fields that do once per item of a list argument what another field does once: a batch of 500
 * reports costs what 500 `reportStatus` operations with the same selection cost, so it counts against
 * the caller's work per minute item by item.
 */
const BATCHES: Readonly<Record<string, (args: Record<string, unknown>) => unknown>> = {
  'Mutation.reportStatuses': (args) => (args.input as { reports?: unknown } | undefined)?.reports,
};

/**
 * Fields that replay history, known here by their schema names (the platform knows no module; the
 * schema is the contract both share). A unit of cost is roughly one object resolved or one row read.
 *
 * - `uptime(from, to)` replays every report of the service's dependency closure in the window: one
 *   unit per day of the window that lies before now (a 7-day dashboard window: 7; 2000–2030: 7,305).
 * - `since` replays the closure's reports back to the last change: SINCE_COST.
 * - A judgement of a past moment (an `asOf` argument before now) reads the reports up to then
 *   instead of the picture kept for the present: PAST_JUDGEMENT_COST per item, and for the two
 *   fields that judge far more than their selection shows, what they judge: the national overview
 *   every component of the country, an advisory's exposure every gateway in its ranges.
 *   `asOf` at or after now (or absent) is the present and costs nothing extra.
 */
export const HISTORY_COST_PER_DAY = 1;
export const SINCE_COST = 5;
export const PAST_JUDGEMENT_COST = 5;
const PAST_JUDGEMENT_OF: Readonly<Record<string, number>> = {
  'Query.nationalOverview': 10_000,
  'Advisory.exposure': 1_000,
};

/** Where `since` is judged by replaying reports (a subscription's change carries it as stored). */
const REPLAYED_SINCE = new Set(['ServiceAvailability.since', 'EffectiveStatus.since']);

const DAY_MS = 86_400_000;

/**
 * The cost of a field: 1, plus what is selected under it, times the number of items it can return.
 *
 * - A paged field (`first`) returns at most `first` items. A connection is costed as
 *   `first` × everything selected under it (edges, totalCount, pageInfo): a slight overestimate
 *   that keeps the rule to one line. `edges` itself is not multiplied again.
 *   `first` is capped at the page size the API accepts (larger ones are refused by the resolver
 *   with a message naming `first`, which is more useful than "too costly"); a missing or null
 *   `first` counts as a full page. (So `statusHistory(first)` grows with the rows it reads.)
 * - Any other list is assumed to hold ASSUMED_LIST_SIZE items, or what LIST_SIZE_OF says; a
 *   gateway's `_entities` as many as the representations it sends.
 * - History, above.
 * - Introspection (`__schema`, `__type`, `__typename`) is free: it reads no data, and the
 *   introspection query of a client or code generator must not be refused.
 */
export function fieldCostEstimator(now: Date): ComplexityEstimator {
  return (options) => {
    const { type, field, args, childComplexity } = options;
    if (field.name.startsWith('__')) return 0;
    const history = historyCost(options, now.getTime());
    const batch = BATCHES[`${type.name}.${field.name}`]?.(args);
    if (Array.isArray(batch)) return batch.length * (1 + childComplexity);
    if (field.args.some((argument) => argument.name === 'first')) {
      const first: unknown = args.first;
      const items = typeof first === 'number' ? Math.min(Math.max(first, 0), MAX_PAGE_SIZE) : MAX_PAGE_SIZE;
      return 1 + items * childComplexity + history.once;
    }
    const isConnectionEdges = field.name === 'edges' && type.name.endsWith('Connection');
    if (isListType(getNullableType(field.type)) && !isConnectionEdges) {
      const items = listSize(`${type.name}.${field.name}`, args);
      return 1 + items * (childComplexity + history.perItem) + history.once;
    }
    return 1 + childComplexity + history.perItem + history.once;
  };
}

/** A federation gateway says how many entities it asks for: as many as its representations. */
function listSize(coordinate: string, args: Record<string, unknown>): number {
  if (coordinate === 'Query._entities' && Array.isArray(args.representations)) return args.representations.length;
  return LIST_SIZE_OF[coordinate] ?? ASSUMED_LIST_SIZE;
}

function historyCost({ type, field, args }: ComplexityEstimatorArgs, now: number): { perItem: number; once: number } {
  const coordinate = `${type.name}.${field.name}`;
  if (coordinate === 'ServiceAvailability.uptime' && args.from instanceof Date && args.to instanceof Date) {
    const days = Math.max(0, Math.min(args.to.getTime(), now) - args.from.getTime()) / DAY_MS;
    return { perItem: Math.ceil(days) * HISTORY_COST_PER_DAY, once: 0 };
  }
  if (REPLAYED_SINCE.has(coordinate)) return { perItem: SINCE_COST, once: 0 };
  if (args.asOf instanceof Date && args.asOf.getTime() < now) {
    return { perItem: PAST_JUDGEMENT_COST, once: PAST_JUDGEMENT_OF[coordinate] ?? 0 };
  }
  return { perItem: 0, once: 0 };
}

/** The estimated cost of one operation of a document, with its variables, at `now`. */
export function queryCost(options: Omit<Parameters<typeof getComplexity>[0], 'estimators'> & { now: Date }): number {
  const { now, ...rest } = options;
  return getComplexity({ ...rest, estimators: [fieldCostEstimator(now)] });
}
