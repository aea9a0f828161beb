import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import PrismaPlugin from '@pothos/plugin-prisma';
import { getNamedType, getNullableType, isListType } from 'graphql';
import { DateResolver, DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';
import type { Context } from '../context.ts';
import type PrismaTypes from '../generated/pothos-types.ts';
import { getDatamodel } from '../generated/pothos-types.ts';
import '../scoping/middleware.ts';

/** The length the cost model assumes of a list without a page size (apiKeys, channels, …). */
const LIST_LENGTH = 10;

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  Scalars: {
    Date: { Input: Date; Output: Date };
    DateTime: { Input: Date; Output: Date };
    JSONObject: { Input: Record<string, unknown>; Output: Record<string, unknown> };
    ID: { Input: string; Output: string };
  };
}>({
  plugins: ['access', ComplexityPlugin, PrismaPlugin],
  defaultFieldNullability: false,
  // The cost model; src/plugins/limits.ts measures each request with it and
  // enforces GRAPHQL_MAX_COST before execution, so the plugin's own check, made
  // in the root resolvers, is off. A field costs 1; a list multiplies its
  // selection by LIST_LENGTH, except a connection's edges: the connection
  // field's own `complexity` multiplies by its page size (`first`).
  complexity: {
    disabled: true,
    fieldComplexity: (_args, _context, field) => {
      const type = getNullableType(field.type);
      if (!isListType(type)) return 1;
      return { field: 1, multiplier: field.name === 'edges' && getNamedType(type).name.endsWith('Edge') ? 1 : LIST_LENGTH };
    },
  },
  prisma: {
    client: (context) => context.db,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === 'production' ? null : 'error',
  },
});

builder.addScalarType('DateTime', DateTimeResolver, { description: 'An ISO-8601 date-time (graphql-scalars DateTime).' });
builder.addScalarType('Date', DateResolver, { description: 'A calendar day, YYYY-MM-DD, in UTC (graphql-scalars Date).' });
builder.addScalarType('JSONObject', JSONObjectResolver, { description: 'A JSON object (graphql-scalars JSONObject).' });

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
