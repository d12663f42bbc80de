import type { ApolloServerPlugin, GraphQLRequestListener, GraphQLResponse } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { DocumentNode, OperationDefinitionNode, GraphQLSchema, TypeInfo, visit, visitWithTypeInfo } from 'graphql';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../../context';
import { livePictureRepository } from '../status';
import type { LivePictureState } from '../status/live-picture.repository';

/**
 * Kept what-if answers. Before advising a shutdown, coordinators ask what Centric's gateway going
 * down would do: 40,000 services × municipalities judged over half the country, about two seconds.
 * Several of them ask the same question, and dashboards ask it again every few seconds. While
 * nothing the answer reads has changed, the answer is the same, so each server keeps the answers it
 * gave and gives them again.
 *
 * When an answer is the same:
 * - The database counts every write an answer can read (`live_picture_state`: `changes` for status
 *   facts, `dependency_changes`, `register_changes` for organisations, memberships, components and
 *   deliveries; migrations CreateLivePicture, CountDependencyChanges, CountRegisterChanges),
 *   whoever writes. The counts only grow. An answer is kept under the counts read before it was
 *   computed, and only when the counts after it are the same: nothing was written in between.
 * - In a crisis status reports arrive every second. When only status facts were written since an
 *   answer's counts, the rows they changed say whether it still holds: every write of the live
 *   picture records its count on the rows it changes (`live_status.written_at_change`), and the
 *   answer remembers which rows it read (the components above its component and what they depend
 *   on just outside them). None of those changed: it holds at the new counts too. So reports on
 *   the rest of the country leave a what-if about Centric's gateway answered.
 * - Time alone changes one thing: a service turns `stale` when a heartbeat deadline passes. An
 *   answer is given again only before the first deadline among its components still ahead.
 * - Only operations that ask for nothing but `impact`, with fields from `KEEPABLE_FIELDS`, are
 *   kept: fields whose values follow from the counted tables (not incidents, not history).
 * - The key is the caller's organisation and role, the query text, the operation and the variables:
 *   a vendor's answer lists fewer services than a coordinator's.
 *
 * Every request still reads the counts (one statement), after its token was checked and its rate
 * counted. Requests asking the same question while it is being answered wait for that answer
 * instead of computing it again. An instance keeps at most `MAX_KEPT` answers and `MAX_KEPT_BYTES`
 * of them, and forgets those that cannot hold again.
 *
 * A kept answer is kept as the bytes of its JSON only: turning Centric's gateway's 40,000 rows into
 * 5.8 MB of JSON again would take longer than everything else a kept answer costs, and the rows as
 * objects would take twice the memory. Over HTTP the bytes go on the request context
 * (`reply.keptBytes`), which src/platform/graphql-over-express.ts sends instead of Apollo's serialisation
 * of the response, whose `data` is then an empty stand-in. Without HTTP (`executeOperation`, the
 * tests) the JSON is parsed back.
 */

const MAX_KEPT = 16;
/** Of JSON: about eight answers about a hub as big as Centric's gateway. */
const MAX_KEPT_BYTES = 48 * 1024 * 1024;
/** How long a request waits for the same answer under way before computing it itself. */
const WAIT_AT_MOST_MS = 30_000;

function giveUpAfter(ms: number): Promise<null> {
  return new Promise((resolve) => setTimeout(() => resolve(null), ms).unref());
}

/** `Type.field` coordinates whose values follow from the counted tables and the heartbeat deadlines. */
const KEEPABLE_FIELDS = new Set<string>([
  'Query.impact',
  ...['component', 'status', 'affected', 'municipalities', 'residentsAffected'].map((f) => `ImpactReport.${f}`),
  ...['service', 'municipality', 'status', 'cause', 'since', 'stale', 'rootCause'].map((f) => `ServiceAvailability.${f}`),
  ...['Component', 'Gateway', 'Application', 'Service', 'Infrastructure'].flatMap((type) =>
    ['id', 'kind', 'name', 'description', 'operator', 'heartbeatSeconds', 'revision'].map((f) => `${type}.${f}`)),
  'Service.audience', 'Gateway.productVendor', 'Gateway.product', 'Gateway.version', 'Gateway.internetFacing',
  ...['Organisation', 'Municipality', 'SharedServiceOrganisation', 'Vendor', 'Coordinator'].flatMap((type) =>
    ['id', 'kind', 'name', 'website'].map((f) => `${type}.${f}`)),
  'Municipality.cbsCode', 'Municipality.population',
]);

/** What the what-if resolvers of one request tell the keeper: whether and until when their answers hold. */
export class WhatIfReadings {
  private fromLivePicture = true;
  private nextStaleAt = Infinity;
  readonly reads = new Set<string>();

  /**
   * A what-if answered from the live picture, which changes by time alone at `nextStaleAt` (epoch
   * ms), and otherwise only when the stored rows of `reads` change.
   */
  answeredFromLivePicture(nextStaleAt: number, reads: readonly string[]): void {
    this.nextStaleAt = Math.min(this.nextStaleAt, nextStaleAt);
    for (const id of reads) this.reads.add(id);
  }

  /** A what-if judged from the reports (a moment the live picture cannot answer): not kept. */
  answeredFromReports(): void {
    this.fromLivePicture = false;
  }

  /** Until when (epoch ms) the answer holds while the counts stay the same; null when it may not be kept. */
  holdsUntil(): number | null {
    return this.fromLivePicture ? this.nextStaleAt : null;
  }
}

/** The picture's counts of writes, read at one moment (see the module comment). */
interface Counts {
  changes: number;
  dependencyChanges: number;
  registerChanges: number;
}

interface KeptAnswer {
  /** The counts it is known to hold at; moved on when later writes left its rows alone. */
  counts: Counts;
  /** Epoch ms: given again only before this moment. */
  until: number;
  /** The components whose stored rows it was judged from. */
  reads: ReadonlySet<string>;
  /** The response as Apollo would send it, `{"data":…}` and a newline, in UTF-8. */
  bytes: Buffer;
}

/** An answer being computed, for requests asking the same question meanwhile. */
interface AnswerUnderWay {
  counts: Counts;
  answer: Promise<KeptAnswer | null>;
}

/**
 * The counts, or null when the live picture does not answer about `now`: out of date (the what-if
 * rebuilds it first) or with a fact dated after `now` (the what-if judges the reports).
 */
function countsOf(state: LivePictureState, now: number): Counts | null {
  if (state.version !== state.changes || state.latestMoment > now) return null;
  return { changes: state.changes, dependencyChanges: state.dependencyChanges, registerChanges: state.registerChanges };
}

function sameCounts(a: Counts | null, b: Counts | null): boolean {
  return a !== null && b !== null && a.changes === b.changes && a.dependencyChanges === b.dependencyChanges && a.registerChanges === b.registerChanges;
}

/** Whether everything written between `older` and `newer` was status facts, whose rows say what they touched. */
function onlyStatusFactsBetween(older: Counts, newer: Counts): boolean {
  return older.dependencyChanges === newer.dependencyChanges && older.registerChanges === newer.registerChanges && older.changes <= newer.changes;
}

/** More rows written since an answer than this (a rebuild rewrites 125,000) and it is judged again. */
const MAX_ROWS_WRITTEN_SINCE = 10_000;

/** Whether every field the document asks for is keepable and the operation asks for nothing but what-ifs. */
export function asksOnlyForKeepableWhatIfs(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): boolean {
  if (operation.operation !== 'query') return false;
  const typeInfo = new TypeInfo(schema);
  let keepable = true;
  visit(document, visitWithTypeInfo(typeInfo, {
    Field(field) {
      if (field.name.value === '__typename') return;
      const parent = typeInfo.getParentType();
      if (!parent || !KEEPABLE_FIELDS.has(`${parent.name}.${field.name.value}`)) keepable = false;
    },
  }));
  return keepable;
}

function keyOf(context: RequestContext, source: string, operationName: string | undefined, variables: unknown): string {
  const caller = context.viewer.kind === 'public' ? 'public' : `${context.viewer.organisationId}/${context.viewer.role}`;
  return JSON.stringify([caller, operationName ?? null, variables ?? {}, source]);
}

/** The keeper of one server's what-if answers. */
export function keptWhatIfsPlugin(): ApolloServerPlugin<RequestContext> {
  const kept = new Map<string, KeptAnswer>();
  let keptByteCount = 0;
  const underWay = new Map<string, AnswerUnderWay>();
  const keepableDocuments = new WeakMap<DocumentNode, boolean>();

  /** Forgets answers that cannot hold again: made before a write to the dependencies or the register, or past their time. */
  function forgetThoseThatCannotHold(counts: Counts, now: number): void {
    for (const [key, answer] of kept) if (!onlyStatusFactsBetween(answer.counts, counts) || now >= answer.until) forget(key);
  }

  function forget(key: string): void {
    keptByteCount -= kept.get(key)?.bytes.length ?? 0;
    kept.delete(key);
  }

  /** The kept answer as a response: over HTTP its bytes (and a stand-in for `data`), otherwise parsed back. */
  function keptResponse(answer: KeptAnswer, context: RequestContext, overHttp: boolean): GraphQLResponse {
    const headers = new HeaderMap();
    headers.set('x-ketenbeeld-answer', 'kept');
    let data: Record<string, unknown> = {};
    if (overHttp) context.reply.keptBytes = answer.bytes;
    else data = (JSON.parse(answer.bytes.toString('utf8')) as { data: Record<string, unknown> }).data;
    return { http: { status: undefined, headers }, body: { kind: 'single', singleResult: { data } } };
  }

  /**
   * Whether a kept answer holds at `counts`: the same counts, or only status facts written since and
   * none of them changed a row it read. Then it is known to hold at `counts` from now on.
   */
  async function holdsAt(answer: KeptAnswer, counts: Counts, db: EntityManager): Promise<boolean> {
    if (sameCounts(answer.counts, counts)) return true;
    if (!onlyStatusFactsBetween(answer.counts, counts)) return false;
    const written = await livePictureRepository.componentsWrittenSince(db, answer.counts.changes, MAX_ROWS_WRITTEN_SINCE);
    if (written === null || written.some((id) => answer.reads.has(id))) return false;
    answer.counts = counts;
    return true;
  }

  function keep(key: string, answer: KeptAnswer): void {
    forget(key);
    kept.set(key, answer);
    keptByteCount += answer.bytes.length;
    // A Map iterates in insertion order: the first key is the one used longest ago.
    while (kept.size > MAX_KEPT || keptByteCount > MAX_KEPT_BYTES) forget(kept.keys().next().value!);
  }

  return {
    async requestDidStart(): Promise<GraphQLRequestListener<RequestContext>> {
      let computing: { key: string; counts: Counts; overHttp: boolean; answer: Promise<KeptAnswer | null>; settle: (answer: KeptAnswer | null) => void } | null = null;
      return {
        async responseForOperation({ schema, document, operation, operationName, source, request, contextValue }) {
          const overHttp = request.http !== undefined;
          // No operation when the name matches none of the document's (graphql-js then says so).
          if (!operation) return null;
          let keepable = keepableDocuments.get(document);
          if (keepable === undefined) {
            keepable = asksOnlyForKeepableWhatIfs(schema, document, operation);
            keepableDocuments.set(document, keepable);
          }
          if (!keepable) return null;
          const now = contextValue.now.getTime();
          const counts = countsOf(await livePictureRepository.state(contextValue.db), now);
          if (counts === null) return null;
          forgetThoseThatCannotHold(counts, now);
          const key = keyOf(contextValue, source, operationName ?? undefined, request.variables);
          const answer = kept.get(key);
          if (answer && await holdsAt(answer, counts, contextValue.db)) {
            keep(key, answer);
            return keptResponse(answer, contextValue, overHttp);
          }
          const pending = underWay.get(key);
          if (pending && sameCounts(pending.counts, counts)) {
            const awaited = await Promise.race([pending.answer, giveUpAfter(WAIT_AT_MOST_MS)]);
            if (awaited && now < awaited.until) return keptResponse(awaited, contextValue, overHttp);
            return null;
          }
          let settle!: (answer: KeptAnswer | null) => void;
          const promise = new Promise<KeptAnswer | null>((resolve) => { settle = resolve; });
          underWay.set(key, { counts, answer: promise });
          computing = { key, counts, overHttp, answer: promise, settle };
          contextValue.whatIfReadings = new WhatIfReadings();
          return null;
        },

        async willSendResponse({ response, contextValue }) {
          if (!computing) return;
          const { key, counts, overHttp, answer: promise, settle } = computing;
          computing = null;
          let answer: KeptAnswer | null = null;
          try {
            const until = contextValue.whatIfReadings?.holdsUntil() ?? null;
            const result = response.body.kind === 'single' ? response.body.singleResult : null;
            if (until !== null && result?.data && !result.errors) {
              // Nothing written since the counts were read before: the answer is the answer at those counts.
              if (sameCounts(countsOf(await livePictureRepository.state(contextValue.db), contextValue.now.getTime()), counts)) {
                // What Apollo would send, made here once; over HTTP these bytes are sent (and Apollo
                // serialises only the stand-in).
                const bytes = Buffer.from(`${JSON.stringify({ data: result.data })}\n`, 'utf8');
                answer = { counts, until, reads: contextValue.whatIfReadings!.reads, bytes };
                // An answer over the whole budget is sent, not kept.
                if (bytes.length <= MAX_KEPT_BYTES) keep(key, answer);
                if (overHttp) {
                  contextValue.reply.keptBytes = bytes;
                  result.data = {};
                }
              }
            }
          } finally {
            // Unless a request at later counts has taken the place meanwhile.
            if (underWay.get(key)?.answer === promise) underWay.delete(key);
            settle(answer);
          }
        },
      };
    },
  };
}
