// GraphQL Armor: bounds on what one document may ask, checked before execution.
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.ts';

/**
 * Measured against the real clients: the typed documents reach depth 5, cost 61
 * and 53 tokens; GraphiQL's walkthrough 228 tokens; its introspection query is
 * exempt from depth and cost (it is 21 deep) but not from the token limit.
 */
const INTROSPECTION_DEPTH = 25;

export function useLimits(limits: Config['limits']): Plugin[] {
  const plugins: Plugin[] = [
    maxTokensPlugin({ n: limits.tokens }),
    maxDepthPlugin({ n: limits.depth, ignoreIntrospection: true, flattenFragments: true }),
    // Introspection has its own, looser bound: GraphiQL's query is 21 deep; ofType chains are not.
    maxDepthPlugin({ n: Math.max(limits.depth, INTROSPECTION_DEPTH), ignoreIntrospection: false, flattenFragments: true }),
    maxAliasesPlugin({ n: limits.aliases }),
    maxDirectivesPlugin({ n: limits.directives }),
    costLimitPlugin({ maxCost: limits.cost, ignoreIntrospection: true }),
  ] as Plugin[];
  if (!limits.fieldSuggestions) plugins.push(blockFieldSuggestionsPlugin() as Plugin);
  return [...plugins, { onValidate: ({ addValidationRule }) => addValidationRule(noSubscriptions) }, asValidationErrors];
}

/** The schema has no subscriptions: say so at validation (400), not at execution. */
const noSubscriptions: ValidationRule = (context) => ({
  OperationDefinition(node) {
    if (node.operation === 'subscription') context.reportError(new GraphQLError('Herald has no subscriptions.', { nodes: [node] }));
  },
});

/**
 * Armor throws a refusal as a bare GraphQLError; make it a validation result with
 * the shape of Yoga's own (code, and HTTP 400 for application/graphql-response+json).
 */
const asValidationErrors: Plugin = {
  onValidate({ validateFn, setValidationFn }) {
    setValidationFn((...args) => {
      try {
        return validateFn(...args);
      } catch (error) {
        if (error instanceof GraphQLError) return [error];
        throw error;
      }
    });
    return ({ result, setResult }) => {
      if (result.every((error) => error.extensions?.http)) return;
      setResult(
        result.map((error) =>
          error.extensions?.http
            ? error
            : new GraphQLError(error.message, {
                nodes: error.nodes,
                source: error.source,
                positions: error.positions,
                extensions: { code: 'GRAPHQL_VALIDATION_FAILED', ...error.extensions, http: { spec: true, status: 400 } },
              }),
        ),
      );
    };
  },
};
