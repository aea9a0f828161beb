// Trusted documents (persisted operations) for first-party clients: the page's
// documents and the backend client's (clients/documents.ts) are compiled by
// codegen into manifests, hash to document, and a client may send
// { "documentId": "sha256:<hex>", "variables": … } instead of the text. The
// server then neither receives nor parses nor validates the document: it was
// checked when it was built. Customers' backends may still send any document
// (allowArbitraryOperations), which goes through every check as before.
// Apollo's form, extensions.persistedQuery.sha256Hash, is accepted too.
import { type ExtractPersistedOperationId, usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { Plugin } from 'graphql-yoga';
import backendClient from '../../clients/generated/persisted-documents.json' with { type: 'json' };
import page from '../../web/src/generated/persisted-documents.json' with { type: 'json' };

/** The request parameter that names a trusted document (Yoga refuses unknown parameters otherwise). */
export const DOCUMENT_ID_PARAM = 'documentId';

const manifest = new Map<string, string>([...Object.entries(page), ...Object.entries(backendClient)]);

const extractDocumentId: ExtractPersistedOperationId = (params) => {
  const id = (params as { documentId?: unknown }).documentId;
  if (typeof id === 'string') return id;
  const apollo = (params.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery?.sha256Hash;
  return typeof apollo === 'string' ? `sha256:${apollo}` : null;
};

export function useTrustedDocuments(): Plugin {
  const plugin = usePersistedOperations({
    getPersistedOperation: (id) => manifest.get(id) ?? null,
    extractPersistedOperationId: extractDocumentId,
    allowArbitraryOperations: true,
    skipDocumentValidation: true,
    customErrors: {
      notFound: {
        message: 'Unknown documentId: send the document itself, or the hash of one of the documents this server trusts.',
        extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', http: { status: 400 } },
      },
    },
  }) as Plugin;
  const { onParams } = plugin;
  return {
    ...plugin,
    // A request with neither a document nor an id gets Yoga's own answer ("Must provide query string."), as before.
    onParams(payload) {
      if (!payload.params.query && extractDocumentId(payload.params, payload.request, {}) === null) return;
      return onParams?.(payload);
    },
  };
}
