import type { ApolloServerPlugin } from '@apollo/server';
import {
  BREAK, DocumentNode, getOperationAST, getVariableValues, GraphQLError, GraphQLSchema, OperationDefinitionNode,
  parse, ParseOptions, specifiedRules, TypeInfo, validate, ValidationRule, visit, visitWithTypeInfo,
} from 'graphql';
import { containsNul } from './nul-characters';
import { queryCost } from './query-cost';
import { QueryLimits, queryLimitRules, queryParseOptions } from './query-limits';

/** Who asks, as far as the limits care: the public has a smaller cost budget. */
export type Caller = 'public' | 'organisation';

/**
 * How the operation arrived. HTTP carries queries and mutations, WebSocket subscriptions only;
 * `in-process` (tests calling Apollo's executeOperation) may run any.
 */
export type Transport = 'http' | 'websocket' | 'in-process';

export interface AdmissionLimits extends QueryLimits {
  /** Estimated cost (src/platform/query-cost.ts) an organisation's operation may have. */
  maxCost: number;
  /** The same for the public. */
  maxPublicCost: number;
}

export interface OperationRequest {
  /** The query text, parsed and validated here; or `document`, when Apollo parsed it (with `parseOptions`) and validated it. */
  query?: string;
  document?: DocumentNode;
  operationName?: string | null;
  /** As the client sent them, before coercion. */
  variables?: Record<string, unknown> | null;
  caller: Caller;
  transport: Transport;
}

/** What the checks find in a document whatever its variables and caller: found once per document. */
interface DocumentFacts {
  /** Depth, aliases and directives beyond the limits. */
  shapeRefusals: readonly GraphQLError[];
  asksForServiceSdl: boolean;
  /** The first field the public may not ask for; null: none. */
  fieldBeyondPublic: string | null;
}

export type AdmissionResult =
  | { admitted: { document: DocumentNode; operation: OperationDefinitionNode; cost: number } }
  | { refused: readonly GraphQLError[] };

/**
 * The one gate every operation passes, over HTTP and over WebSocket alike, before it runs: tokens
 * (while parsing), depth, aliases and directives (the shape), the operation type for the transport,
 * the variables' types, NUL characters, and the estimated cost against the caller's budget. A
 * refusal is BAD_USER_INPUT with HTTP status 400 and a message that names the limit.
 *
 * Over HTTP Apollo parses (with `parseOptions`, so the token limit is the same) and validates with
 * graphql-js's rules, then its didResolveOperation hook calls `admit` with the document
 * (`admissionPlugin`). Over WebSocket `admit` is given the text and does both itself. The shape is
 * checked once per document (Apollo hands out the same document for the same query text), and so
 * are the fields it asks for (`_service`, fields beyond what the public may read).
 */
export class Admission {
  readonly parseOptions: ParseOptions;
  private readonly shapeRules: ValidationRule[];
  private readonly documentFacts = new WeakMap<DocumentNode, DocumentFacts>();

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly options: {
      hideSuggestions: boolean;
      /** Whether `_service { sdl }` (the federated subgraph's schema) is answered: like introspection, not in production. */
      serviceSdl: boolean;
      /**
       * The fields the public may ask for, by type (src/modules/access/public-reads.ts); any other
       * field from the public is refused as UNAUTHENTICATED. Absent: no field is refused here.
       */
      publicFields?: Readonly<Record<string, readonly string[]>>;
      now?: () => Date;
    },
  ) {
    this.parseOptions = queryParseOptions(limits);
    this.shapeRules = queryLimitRules(limits);
  }

  admit(schema: GraphQLSchema, request: OperationRequest): AdmissionResult {
    const result = this.check(schema, request);
    if ('refused' in result && this.options.hideSuggestions) {
      // "Did you mean …?" spells out the schema to someone guessing at it (production).
      return { refused: result.refused.map((error) => withMessage(error, error.message.replace(/ ?Did you mean .+?\?$/, ''))) };
    }
    return result;
  }

  private check(schema: GraphQLSchema, request: OperationRequest): AdmissionResult {
    let document = request.document;
    if (!document) {
      try {
        document = parse(request.query ?? '', this.parseOptions);
      } catch (error) {
        if (error instanceof GraphQLError) return { refused: [coded(error, 'GRAPHQL_PARSE_FAILED')] };
        throw error;
      }
      const invalid = validate(schema, document, specifiedRules);
      if (invalid.length > 0) return { refused: invalid.map((error) => coded(error, 'GRAPHQL_VALIDATION_FAILED')) };
    }
    const facts = this.factsOf(schema, document);
    if (facts.shapeRefusals.length > 0) return { refused: facts.shapeRefusals };

    const operation = getOperationAST(document, request.operationName ?? undefined);
    if (!operation) {
      return refuse(request.operationName
        ? `Unknown operation named "${request.operationName}".`
        : 'Must provide operation name if query contains multiple operations.');
    }
    const wrongTransport = transportRefusal(schema, operation, request.transport);
    if (wrongTransport) return refuse(wrongTransport);
    if (!this.options.serviceSdl && facts.asksForServiceSdl) {
      return refuse('The subgraph SDL (_service) is not served here, like introspection; compose from `npm run subgraph-sdl`.');
    }

    const variables = request.variables ?? {};
    if (typeof variables !== 'object' || Array.isArray(variables)) return refuse('Variables must be a JSON object.');
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables, { maxErrors: 1 });
    if (coerced.errors) return { refused: coerced.errors.slice(0, 1).map((error) => coded(error, 'BAD_USER_INPUT')) };
    if (containsNul(variables, document)) return refuse('Strings may not contain the NUL character (U+0000).');
    if (request.caller === 'public' && this.options.publicFields) {
      const field = facts.fieldBeyondPublic;
      if (field) {
        return { refused: [new GraphQLError(`${field} needs a token (Authorization: Bearer …): without one you may read service availability per municipality and TLP:CLEAR incidents and advisories (README, "Access").`, {
          extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
        })] };
      }
    }

    let cost: number;
    try {
      cost = queryCost({ schema, query: document, variables, operationName: operation.name?.value, now: this.options.now?.() ?? new Date() });
    } catch (error) {
      // More selections than the library will walk: the client's own mistake, in graphql-js's words.
      if (error instanceof GraphQLError) return refuse(error.message);
      throw error;
    }
    const budget = request.caller === 'public' ? this.limits.maxPublicCost : this.limits.maxCost;
    if (cost > budget) {
      const whose = request.caller === 'public' ? 'Query cost limit for the public' : 'Query cost limit';
      return refuse(`${whose} of ${budget} exceeded, estimated ${cost}. Ask for smaller pages (first), shorter time windows or fewer nested lists.`);
    }
    return { admitted: { document, operation, cost } };
  }

  private factsOf(schema: GraphQLSchema, document: DocumentNode): DocumentFacts {
    let facts = this.documentFacts.get(document);
    if (!facts) {
      facts = {
        shapeRefusals: validate(schema, document, this.shapeRules).map((error) => coded(error, 'BAD_USER_INPUT')),
        asksForServiceSdl: asksForServiceSdl(document),
        fieldBeyondPublic: this.options.publicFields ? fieldBeyond(schema, document, this.options.publicFields) : null,
      };
      this.documentFacts.set(document, facts);
    }
    return facts;
  }
}

/** The first field (as `Type.field`) the document asks for that the list does not name; introspection is Apollo's to allow. */
function fieldBeyond(schema: GraphQLSchema, document: DocumentNode, allowed: Readonly<Record<string, readonly string[]>>): string | null {
  const typeInfo = new TypeInfo(schema);
  let beyond: string | null = null;
  visit(document, visitWithTypeInfo(typeInfo, {
    Field(node) {
      const name = node.name.value;
      const parent = typeInfo.getParentType();
      if (name.startsWith('__') || !parent || parent.name.startsWith('__')) return undefined;
      if (allowed[parent.name]?.includes(name)) return undefined;
      beyond = `${parent.name}.${name}`;
      return BREAK;
    },
  }));
  return beyond;
}

function asksForServiceSdl(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Field(node) {
      if (node.name.value !== '_service') return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
}

function transportRefusal(schema: GraphQLSchema, operation: OperationDefinitionNode, transport: Transport): string | null {
  // graphql-js's validation lets an operation type through that the schema lacks.
  if (!schema.getRootType(operation.operation)) return `This API has no ${operation.operation} operations.`;
  if (transport === 'http' && operation.operation === 'subscription') {
    // Apollo would execute it like a query, and the subscription field would resolve to nothing.
    return 'Subscriptions are served over WebSocket (the graphql-ws protocol), not over HTTP.';
  }
  if (transport === 'websocket' && operation.operation !== 'subscription') {
    return 'Only subscriptions go over WebSocket; send queries and mutations as HTTP POST to /graphql.';
  }
  return null;
}

function refuse(message: string): AdmissionResult {
  return { refused: [new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } })] };
}

/** graphql-js's own errors carry no code; src/errors.ts shows these codes as BAD_USER_INPUT. */
function coded(error: GraphQLError, code: 'GRAPHQL_PARSE_FAILED' | 'GRAPHQL_VALIDATION_FAILED' | 'BAD_USER_INPUT'): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes, source: error.source, positions: error.positions,
    extensions: { ...error.extensions, code, http: { status: 400 } },
  });
}

function withMessage(error: GraphQLError, message: string): GraphQLError {
  return new GraphQLError(message, { nodes: error.nodes, source: error.source, positions: error.positions, extensions: error.extensions });
}

/**
 * Apollo's side of the gate: every HTTP operation (and every executeOperation of the tests) is
 * admitted after Apollo resolved it and before it runs, and its estimated cost is charged to the
 * caller's work per minute (`charge`, absent where nothing counts it). A refusal thrown here keeps
 * its code and HTTP status: 400 for a limit, 429 with Retry-After for the work budget.
 */
export function admissionPlugin<TContext extends object>(
  admission: Admission,
  how: { callerOf: (context: TContext) => Caller; charge?: (context: TContext, cost: number) => Promise<void> },
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request, contextValue }) {
          const result = admission.admit(schema, {
            document,
            operationName: request.operationName,
            variables: request.variables,
            caller: how.callerOf(contextValue),
            transport: request.http ? 'http' : 'in-process',
          });
          if ('refused' in result) throw result.refused[0];
          await how.charge?.(contextValue, result.admitted.cost);
        },
      };
    },
  };
}
