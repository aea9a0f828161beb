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
      apiKey { id name prefix createdAt updatedAt lastUsedAt rateLimitPerMinute allowedIps scope { kind channels { id slug name } } }
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

export const ApiKeyLifecycle = graphql(`
  query ApiKeyLifecycle($id: ID!) {
    apiKey(id: $id) { id name prefix status expiresAt revokedAt previousSecretExpiresAt updatedAt rateLimitPerMinute allowedIps createdBy { id subject } }
  }
`);

export const RevokeApiKey = graphql(`
  mutation RevokeApiKey($id: ID!) {
    revokeApiKey(id: $id) { id name prefix status revokedAt previousSecretExpiresAt }
  }
`);

export const RollApiKey = graphql(`
  mutation RollApiKey($input: RollApiKeyInput!) {
    rollApiKey(input: $input) {
      secret
      apiKey { id name prefix status previousSecretExpiresAt scope { kind channels { slug } } }
    }
  }
`);

export const ApiKeyUsage = graphql(`
  query ApiKeyUsage($id: ID!, $days: Int) {
    apiKey(id: $id) { id usage(days: $days) { day requests messages recipients refused } }
  }
`);

export const AuditEvents = graphql(`
  query AuditEvents($first: Int, $after: String, $apiKeyId: ID) {
    auditEvents(first: $first, after: $after, apiKeyId: $apiKeyId) {
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id at action member { id subject } apiKey { id name } changes requestId } }
    }
  }
`);

export const MemberProfiles = graphql(`
  query MemberProfiles {
    apiKeys { id createdBy { id subject email name } }
    auditEvents(first: 10) { edges { node { action member { id subject email name } } } }
  }
`);

// The API Keys page's own documents: what a real dashboard asks in one request.
export const DashboardApiKeys = graphql(`
  query DashboardApiKeys {
    apiKeys {
      id name prefix status createdAt updatedAt lastUsedAt expiresAt revokedAt previousSecretExpiresAt
      createdBy { id subject }
      scope { kind channels { id slug name } }
      usage(days: 30) { day requests messages recipients refused }
    }
  }
`);

export const DashboardAuditTrail = graphql(`
  query DashboardAuditTrail($apiKeyId: ID, $after: String) {
    auditEvents(first: 50, apiKeyId: $apiKeyId, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id at action changes requestId member { id subject } apiKey { id name prefix status } } }
    }
  }
`);

export const DashboardMessages = graphql(`
  query DashboardMessages($after: String) {
    messages(first: 100, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id title recipientCount allRecipients createdAt channels { slug name } } }
    }
  }
`);

export const CreateRecipientToken = graphql(`
  mutation CreateRecipientToken($input: CreateRecipientTokenInput!) {
    createRecipientToken(input: $input) { token expiresAt recipient { id externalId channels { slug } } }
  }
`);

export const Inbox = graphql(`
  query Inbox($first: Int, $after: String, $filter: InboxFilter) {
    inbox(first: $first, after: $after, filter: $filter) {
      totalCount
      unreadCount
      unseenCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id title body data channels createdAt seenAt readAt archivedAt } }
    }
  }
`);

export const MarkInbox = graphql(`
  mutation MarkInbox($input: MarkInboxInput!) {
    markInbox(input: $input) { updated unreadCount unseenCount }
  }
`);

export const MessageById = graphql(`
  query MessageById($id: ID!) {
    message(id: $id) { id title recipientCount channels { slug } deliveryStats { recipients seen read webhooksSucceeded webhooksPending webhooksFailed } }
  }
`);

export const InboxEvents = graphql(`
  subscription InboxEvents($after: String) {
    inbox(after: $after) { kind cursor unreadCount unseenCount item { id title channels seenAt readAt archivedAt } }
  }
`);

// Recipients and channels you can manage.
export const Recipients = graphql(`
  query Recipients($first: Int, $after: String, $channel: String, $search: String) {
    recipients(first: $first, after: $after, channel: $channel, search: $search) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id externalId channels { slug } } }
    }
  }
`);

export const RecipientByExternalId = graphql(`
  query RecipientByExternalId($externalId: String!) {
    recipient(externalId: $externalId) { id externalId channels { slug } }
  }
`);

export const ChannelsWithCounts = graphql(`
  query ChannelsWithCounts {
    channels { id slug name recipientCount }
  }
`);

export const UpdateChannel = graphql(`
  mutation UpdateChannel($input: UpdateChannelInput!) {
    updateChannel(input: $input) { id slug name recipientCount }
  }
`);

export const DeleteChannel = graphql(`
  mutation DeleteChannel($id: ID!) {
    deleteChannel(id: $id) { id }
  }
`);

export const UpdateRecipient = graphql(`
  mutation UpdateRecipient($input: UpdateRecipientInput!) {
    updateRecipient(input: $input) { id externalId channels { slug } }
  }
`);

export const DeleteRecipient = graphql(`
  mutation DeleteRecipient($id: ID!) {
    deleteRecipient(id: $id) { id }
  }
`);

export const UpsertRecipients = graphql(`
  mutation UpsertRecipients($input: UpsertRecipientsInput!) {
    upsertRecipients(input: $input) { created updated }
  }
`);

// ---- webhooks ----

export const WebhookEndpoints = graphql(`
  query WebhookEndpoints {
    webhookEndpoints {
      id url description enabled disabledReason createdAt events previousSecretExpiresAt lastSuccessAt failingSince
      channels { slug }
    }
  }
`);

export const WebhookAttempts = graphql(`
  query WebhookAttempts($id: ID!, $first: Int, $after: String) {
    webhookEndpoint(id: $id) {
      id
      attempts(first: $first, after: $after) {
        pageInfo { hasNextPage endCursor }
        edges { cursor node { id eventId eventType status attempt responseStatus durationMs error responseBody createdAt nextAttemptAt } }
      }
    }
  }
`);

export const CreateWebhookEndpoint = graphql(`
  mutation CreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      secret
      endpoint { id url description enabled disabledReason events createdAt channels { slug } }
    }
  }
`);

export const UpdateWebhookEndpoint = graphql(`
  mutation UpdateWebhookEndpoint($input: UpdateWebhookEndpointInput!) {
    updateWebhookEndpoint(input: $input) { id url description enabled disabledReason events channels { slug } }
  }
`);

export const DeleteWebhookEndpoint = graphql(`
  mutation DeleteWebhookEndpoint($id: ID!) {
    deleteWebhookEndpoint(id: $id) { id }
  }
`);

export const RollWebhookEndpointSecret = graphql(`
  mutation RollWebhookEndpointSecret($input: RollWebhookEndpointSecretInput!) {
    rollWebhookEndpointSecret(input: $input) { secret endpoint { id previousSecretExpiresAt } }
  }
`);

export const SendWebhookTestEvent = graphql(`
  mutation SendWebhookTestEvent($input: SendWebhookTestEventInput!) {
    sendWebhookTestEvent(input: $input) { eventId endpointId }
  }
`);
