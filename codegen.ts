import type { CodegenConfig } from '@graphql-codegen/cli';

const typedDocuments = {
  useTypeImports: true,
  enumsAsTypes: true,
  scalars: { DateTime: 'string', Date: 'string', JSONObject: 'Record<string, unknown>' },
};

// Typed documents for clients: the tests use them as a frontend would, and so
// does the dashboard (web/), whose documents are plain strings: no graphql runtime in the page.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  ignoreNoDocuments: false,
  emitLegacyCommonJSImports: false,
  generates: {
    'test/generated/': {
      documents: ['test/support/documents.ts'],
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { ...typedDocuments, scalars: { DateTime: 'string', JSONObject: 'Record<string, unknown>' } },
    },
    'web/src/generated/': {
      documents: ['web/src/documents.ts'],
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { ...typedDocuments, documentMode: 'string' },
    },
  },
};

export default config;
