import type { ApolloServerOptions, ApolloServerPlugin, GraphQLRequestListener, GraphQLResponse } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { DocumentNode, OperationDefinitionNode, GraphQLSchema, Kind, TypeInfo, visit, visitWithTypeInfo } from 'graphql';
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
 * - Time alone changes one thing: a service turns `stale` when a heartbeat deadline passes. An
 *   answer is given again only before the first deadline among its components still ahead.
 * - Only operations that ask for nothing but `impact`, with fields from `KEEPABLE_FIELDS`, are
 *   kept: fields whose values follow from the counted tables (not incidents, not history).
 * - The key is the caller's organisation and role, the query text, the operation and the variables:
 *   a vendor's answer lists fewer services than a coordinator's.
 *
 * Every request still reads the counts (one statement), after its token was checked and its rate
 * counted. Requests asking the same question while it is being answered wait for that answer
 * instead of computing it again. An instance keeps at most `MAX_KEPT` answers and forgets those
 * whose counts have passed.
 *
 * A kept answer is kept as JSON too (`stringifyResult`): turning Centric's gateway's 40,000 rows
 * into 5.8 MB of JSON again would take longer than everything else a kept answer costs.
 */

const MAX_KEPT = 8;
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

  /** A what-if answered from the live picture, which changes by time alone at `nextStaleAt` (epoch ms). */
  answeredFromLivePicture(nextStaleAt: number): void {
    this.nextStaleAt = Math.min(this.nextStaleAt, nextStaleAt);
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

interface KeptAnswer {
  counts: string;
  /** Epoch ms: given again only before this moment. */
  until: number;
  data: Record<string, unknown>;
}

/** An answer being computed, for requests asking the same question meanwhile. */
interface AnswerUnderWay {
  counts: string;
  answer: Promise<KeptAnswer | null>;
}

/**
 * The counts as one string, or null when the live picture does not answer about `now`: out of date
 * (the what-if rebuilds it first) or with a fact dated after `now` (the what-if judges the reports).
 */
function countsOf(state: LivePictureState, now: number): string | null {
  if (state.version !== state.changes || state.latestMoment > now) return null;
  return `${state.changes}/${state.dependencyChanges}/${state.registerChanges}`;
}

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

function keptResponse(answer: KeptAnswer): GraphQLResponse {
  const headers = new HeaderMap();
  headers.set('x-ketenbeeld-answer', 'kept');
  return { http: { status: undefined, headers }, body: { kind: 'single', singleResult: { data: answer.data } } };
}

type StringifyResult = NonNullable<ApolloServerOptions<RequestContext>['stringifyResult']>;

/** The keeper of one server: its plugin, and the serialiser that gives kept answers their kept JSON. */
export function keptWhatIfs(): { plugin: ApolloServerPlugin<RequestContext>; stringifyResult: StringifyResult } {
  /** Kept answers' `data`, and their response as JSON once it was made. */
  const json = new WeakMap<object, string | null>();
  const stringifyResult: StringifyResult = (result) => {
    // Apollo's own serialisation, with the newline it adds.
    if (result.errors !== undefined || result.extensions !== undefined || !result.data || !json.has(result.data)) return `${JSON.stringify(result)}\n`;
    let made = json.get(result.data);
    if (!made) {
      made = `${JSON.stringify(result)}\n`;
      json.set(result.data, made);
    }
    return made;
  };
  return { plugin: keptWhatIfsPlugin((data) => { if (!json.has(data)) json.set(data, null); }), stringifyResult };
}

function keptWhatIfsPlugin(onKept: (data: object) => void): ApolloServerPlugin<RequestContext> {
  const kept = new Map<string, KeptAnswer>();
  const underWay = new Map<string, AnswerUnderWay>();
  const keepableDocuments = new WeakMap<DocumentNode, boolean>();

  /** Forgets answers made at other counts: the counts only grow, so they cannot hold again. */
  function forgetOtherThan(counts: string): void {
    for (const [key, answer] of kept) if (answer.counts !== counts) kept.delete(key);
  }

  function keep(key: string, answer: KeptAnswer): void {
    kept.delete(key);
    kept.set(key, answer);
    // A Map iterates in insertion order: the first key is the one used longest ago.
    while (kept.size > MAX_KEPT) kept.delete(kept.keys().next().value!);
  }

  return {
    async requestDidStart(): Promise<GraphQLRequestListener<RequestContext>> {
      let computing: { key: string; counts: string; answer: Promise<KeptAnswer | null>; settle: (answer: KeptAnswer | null) => void } | null = null;
      return {
        async responseForOperation({ schema, document, operation, operationName, source, request, contextValue }) {
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
          forgetOtherThan(counts);
          const key = keyOf(contextValue, source, operationName ?? undefined, request.variables);
          const answer = kept.get(key);
          if (answer && now < answer.until) {
            keep(key, answer);
            return keptResponse(answer);
          }
          const pending = underWay.get(key);
          if (pending && pending.counts === counts) {
            const awaited = await Promise.race([pending.answer, giveUpAfter(WAIT_AT_MOST_MS)]);
            if (awaited && now < awaited.until) return keptResponse(awaited);
            return null;
          }
          let settle!: (answer: KeptAnswer | null) => void;
          const promise = new Promise<KeptAnswer | null>((resolve) => { settle = resolve; });
          underWay.set(key, { counts, answer: promise });
          computing = { key, counts, answer: promise, settle };
          contextValue.whatIfReadings = new WhatIfReadings();
          return null;
        },

        async willSendResponse({ response, contextValue }) {
          if (!computing) return;
          const { key, counts, answer: promise, settle } = computing;
          computing = null;
          let answer: KeptAnswer | null = null;
          try {
            const until = contextValue.whatIfReadings?.holdsUntil() ?? null;
            const result = response.body.kind === 'single' ? response.body.singleResult : null;
            if (until !== null && result?.data && !result.errors) {
              // Nothing written since the counts were read before: the answer is the answer at those counts.
              if (countsOf(await livePictureRepository.state(contextValue.db), contextValue.now.getTime()) === counts) {
                answer = { counts, until, data: result.data };
                keep(key, answer);
                onKept(answer.data);
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
