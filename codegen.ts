import type { CodegenConfig } from '@graphql-codegen/cli';

const typedDocuments = {
  useTypeImports: true,
  enumsAsTypes: true,
  scalars: { DateTime: 'string', Date: 'string', JSONObject: 'Record<string, unknown>' },
};

// Typed documents for clients: the tests use them as a frontend would, and so
// does the dashboard (web/), whose documents are plain strings: no graphql runtime in the page.
// The page's and the backend client's documents also go into manifests of trusted
// documents (persisted-documents.json) that the server serves by hash (src/plugins/trusted-documents.ts).
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
    // The first-party backend client's documents (the README's examples), by hash too.
    'clients/generated/': {
      documents: ['clients/documents.ts'],
      preset: 'client',
      presetConfig: { fragmentMasking: false, persistedDocuments: { mode: 'embedHashInDocument', hashAlgorithm: 'sha256' } },
      config: { ...typedDocuments, documentMode: 'string' },
    },
    'web/src/generated/': {
      documents: ['web/src/documents.ts'],
      preset: 'client',
      presetConfig: { fragmentMasking: false, persistedDocuments: { mode: 'embedHashInDocument', hashAlgorithm: 'sha256' } },
      config: { ...typedDocuments, documentMode: 'string' },
    },
  },
};

export default config;
