import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { GraphQLError, ParseOptions, ValidationContext, ValidationRule } from 'graphql';

/** The shape limits of one GraphQL document (src/config.ts has the defaults and why). */
export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
}

/**
 * Refuses a document with more lexical tokens than the limit while it is being parsed, before any
 * other work is spent on it. This is graphql-js's own parser option: Apollo answers its error like
 * any syntax error (400, GRAPHQL_PARSE_FAILED, which src/errors.ts shows as BAD_USER_INPUT).
 * graphql-armor's token plugin is not used: through Apollo its refusal came back as a 500.
 */
export function queryParseOptions(limits: QueryLimits): ParseOptions {
  return { maxTokens: limits.maxTokens };
}

/**
 * Depth, alias and directive limits as validation rules (graphql-armor). Validation errors are
 * answered by Apollo with a 400 and GRAPHQL_VALIDATION_FAILED, which src/errors.ts shows as
 * BAD_USER_INPUT. Apollo caches a validated document, so the rules run once per distinct query.
 */
export function queryLimitRules(limits: QueryLimits): ValidationRule[] {
  const onLimit = { propagateOnRejection: false, onReject: [reportAsValidationError] };
  return [
    // Fragments do not deepen the answer, so they do not count as a level.
    maxDepthRule({ n: limits.maxDepth, flattenFragments: true, ...onLimit }),
    maxAliasesRule({ n: limits.maxAliases, ...onLimit }),
    maxDirectivesRule({ n: limits.maxDirectives, ...onLimit }),
  ];
}

/**
 * armor's rules would throw by default, which escapes graphql-js's validation as an exception (a 500
 * through Apollo). Reporting the error on the validation context makes it an ordinary validation error.
 * armor prefixes its messages with "Syntax Error: ", which this is not; the prefix is dropped.
 */
function reportAsValidationError(context: ValidationContext | null, error: GraphQLError): void {
  const message = error.message.replace(/^Syntax Error: /, '');
  context?.reportError(new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } }));
}
