import SchemaBuilder from '@pothos/core';
import PrismaPlugin from '@pothos/plugin-prisma';
import { DateResolver, DateTimeResolver, JSONObjectResolver } from 'graphql-scalars';
import type { Context } from '../context.ts';
import type PrismaTypes from '../generated/pothos-types.ts';
import { getDatamodel } from '../generated/pothos-types.ts';
import '../scoping/middleware.ts';

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
  plugins: ['access', PrismaPlugin],
  defaultFieldNullability: false,
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
