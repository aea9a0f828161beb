// The documents of Herald's first-party backend client, as the README's
// examples send them. Like the page's (web/src/documents.ts), they go through
// codegen into a manifest of trusted documents (clients/generated/
// persisted-documents.json) that the server knows by hash: a client sends
// { "documentId": "sha256:…", "variables": … } instead of the document.
import { graphql } from './generated/gql.ts';

export const Send = graphql(`
  mutation Send($input: SendInput!) {
    send(input: $input) {
      message {
        id
        recipientCount
      }
    }
  }
`);

export const CreateRecipientToken = graphql(`
  mutation CreateRecipientToken($input: CreateRecipientTokenInput!) {
    createRecipientToken(input: $input) {
      token
      expiresAt
    }
  }
`);

export const UpsertRecipients = graphql(`
  mutation UpsertRecipients($input: UpsertRecipientsInput!) {
    upsertRecipients(input: $input) {
      created
      updated
    }
  }
`);
