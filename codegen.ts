import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for clients: the tests use them as a frontend would.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['test/support/documents.ts'],
  ignoreNoDocuments: false,
  emitLegacyCommonJSImports: false,
  generates: {
    'test/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', JSONObject: 'Record<string, unknown>' },
      },
    },
  },
};

export default config;
