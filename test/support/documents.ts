// Every operation the tests send, as a frontend would write them.
import { graphql } from '../generated/index.ts';

export const CreateChannel = graphql(`
  mutation CreateChannel($input: CreateChannelInput!) {
    createChannel(input: $input) { id slug name }
  }
`);

export const CreateRecipient = graphql(`
  mutation CreateRecipient($input: CreateRecipientInput!) {
    createRecipient(input: $input) { id externalId channels { slug } }
  }
`);

export const CreateApiKey = graphql(`
  mutation CreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      secret
      apiKey { id name prefix createdAt updatedAt lastUsedAt scope { kind channels { id slug name } } }
    }
  }
`);

export const UpdateApiKey = graphql(`
  mutation UpdateApiKey($input: UpdateApiKeyInput!) {
    updateApiKey(input: $input) { id name prefix updatedAt scope { kind channels { slug } } }
  }
`);

export const ApiKeys = graphql(`
  query ApiKeys {
    apiKeys { id name prefix createdAt updatedAt lastUsedAt scope { kind channels { slug } } }
  }
`);

export const ApiKeyById = graphql(`
  query ApiKeyById($id: ID!) {
    apiKey(id: $id) { id name prefix lastUsedAt scope { kind channels { slug } } }
  }
`);

export const Channels = graphql(`
  query Channels {
    channels { id slug name }
  }
`);

export const Messages = graphql(`
  query Messages($first: Int, $after: String) {
    messages(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id title body data allRecipients recipientCount createdAt channels { slug } } }
    }
  }
`);

export const Send = graphql(`
  mutation Send($input: SendInput!) {
    send(input: $input) {
      message { id title body data allRecipients recipientCount createdAt channels { slug } }
    }
  }
`);

export const Typename = graphql(`
  query Typename { __typename }
`);
