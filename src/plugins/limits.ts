// Bounds on what one request may ask, checked before execution: GraphQL Armor
// for the document's shape, the schema's cost model for the work it asks for.
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { createComplexityRule } from '@pothos/plugin-complexity';
import { type DocumentNode, GraphQLError, type GraphQLSchema, Kind, validate } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Config } from '../config.ts';

/**
 * Measured against the real clients: the typed documents reach depth 5 and 53
 * tokens, the dashboard's cost at most 3,301 (see DEFAULT_LIMITS); GraphiQL's
 * walkthrough 228 tokens; its introspection query is exempt from depth and cost
 * (it is 21 deep) but not from the token limit.
 */
const INTROSPECTION_DEPTH = 25;

/** `armor` and `cost` are off only in the bench's ablation table (src/ablation.ts). */
export function useLimits(limits: Config['limits'], { armor = true, cost = true } = {}): Plugin[] {
  const costPlugins = cost ? [costLimit(limits.cost)] : [];
  if (!armor) return costPlugins;
  const plugins: Plugin[] = [
    maxTokensPlugin({ n: limits.tokens }),
    maxDepthPlugin({ n: limits.depth, ignoreIntrospection: true, flattenFragments: true }),
    // Introspection has its own, looser bound: GraphiQL's query is 21 deep; ofType chains are not.
    maxDepthPlugin({ n: Math.max(limits.depth, INTROSPECTION_DEPTH), ignoreIntrospection: false, flattenFragments: true }),
    maxAliasesPlugin({ n: limits.aliases }),
    maxDirectivesPlugin({ n: limits.directives }),
  ] as Plugin[];
  if (!limits.fieldSuggestions) plugins.push(blockFieldSuggestionsPlugin() as Plugin);
  return [...plugins, asValidationErrors, ...costPlugins];
}

/**
 * The cost of the operation a request runs, by the schema's model (see
 * src/schema/builder.ts: a field costs 1, a connection multiplies its selection
 * by `first`, usage by `days`, another list by 10); introspection costs 1.
 * Null when the operation or its variables are not valid: execution says why.
 */
export function queryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  {
    variables = {},
    operationName,
    context = {},
  }: { variables?: Record<string, unknown>; operationName?: string | null; context?: object } = {},
): number | null {
  let cost: number | null = null;
  const measure = createComplexityRule({
    context,
    variableValues: variables,
    operationName,
    onResult: ({ complexity }) => {
      cost = Math.max(cost ?? 0, complexity);
    },
  });
  return validate(schema, document, [measure]).length > 0 ? null : cost;
}

/**
 * The cost of a document's operation depends on the document, the operation
 * and the values of its Int variables alone: the schema's multipliers are all
 * Int arguments (`first`, `days`). So a request pays for the measurement (a walk
 * of the whole document) once per document and distinct Int values, not once per
 * request: a send, whose variables are an input object, costs one map lookup.
 */
const costs = new WeakMap<DocumentNode, { intVariables: string[]; byValues: Map<string, number | null> }>();
/** Distinct Int values remembered per document: a client paging through many `first` values cannot grow it without bound. */
const MAX_COSTS_PER_DOCUMENT = 64;

function intVariablesOf(document: DocumentNode): string[] {
  const names: string[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const variable of definition.variableDefinitions ?? []) {
      const type = variable.type.kind === Kind.NON_NULL_TYPE ? variable.type.type : variable.type;
      if (type.kind === Kind.NAMED_TYPE && type.name.value === 'Int') names.push(variable.variable.name.value);
    }
  }
  return names;
}

/** queryCost, remembered per document and Int variable values (see above). */
export function cachedQueryCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  options: { variables?: Record<string, unknown>; operationName?: string | null },
): number | null {
  let entry = costs.get(document);
  if (!entry) {
    entry = { intVariables: intVariablesOf(document), byValues: new Map() };
    costs.set(document, entry);
  }
  const variables = options.variables ?? {};
  let key = options.operationName ?? '';
  for (const name of entry.intVariables) key += `\u0000${name in variables ? JSON.stringify(variables[name]) : 'absent'}`;
  const known = entry.byValues.get(key);
  if (known !== undefined) return known;
  const cost = queryCost(schema, document, options);
  if (entry.byValues.size < MAX_COSTS_PER_DOCUMENT) entry.byValues.set(key, cost);
  return cost;
}

const formatted = (n: number) => n.toLocaleString('en-US');

/**
 * Refuses a request whose operation costs more than `limit`, before any resolver
 * runs, as Yoga refuses an invalid one. Measured at execution rather than as a
 * validation rule: the cost depends on the variables (`first: $first`), and Yoga
 * caches a document's validation result whatever its variables.
 */
function costLimit(limit: number): Plugin {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const cost = cachedQueryCost(args.schema, args.document, {
        variables: args.variableValues ?? undefined,
        operationName: args.operationName,
      });
      if (cost === null || cost <= limit) return;
      setResultAndStopExecution({
        errors: [
          new GraphQLError(
            `The query's cost is ${formatted(cost)}, over the limit of ${formatted(limit)}: ask for smaller pages or fewer fields.`,
            {
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', cost: { limit, actual: cost }, http: { spec: true, status: 400 } },
            },
          ),
        ],
      });
    },
  };
}

/**
 * Armor throws a refusal as a bare GraphQLError; make it a validation result with
 * the shape of Yoga's own (code, and HTTP 400 for application/graphql-response+json),
 * without the "Syntax Error: " Armor puts before it: the document parsed.
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
            : new GraphQLError(error.message.replace(/^Syntax Error: /, ''), {
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
