// Every operation the dashboard sends, typed by the project's codegen (npm run generate).
import { graphql } from './generated/index.ts';

export const DashboardApiKeys = graphql(`
  query DashboardApiKeys {
    apiKeys {
      id
      name
      prefix
      status
      createdAt
      lastUsedAt
      expiresAt
      revokedAt
      previousSecretExpiresAt
      rateLimitPerMinute
      allowedIps
      createdBy { id subject email name }
      scope { kind channels { id slug name } }
      usage(days: 30) { day requests messages recipients refused }
    }
  }
`);

export const DashboardChannels = graphql(`
  query DashboardChannels {
    channels { id slug name createdAt }
  }
`);

export const DashboardCreateChannel = graphql(`
  mutation DashboardCreateChannel($input: CreateChannelInput!) {
    createChannel(input: $input) { id slug name createdAt }
  }
`);

// The Channels page: each channel with its recipients now (a count the other pages do not pay for).
export const DashboardChannelsWithCounts = graphql(`
  query DashboardChannelsWithCounts {
    channels { id slug name createdAt recipientCount }
  }
`);

export const DashboardUpdateChannel = graphql(`
  mutation DashboardUpdateChannel($input: UpdateChannelInput!) {
    updateChannel(input: $input) { id slug name }
  }
`);

export const DashboardDeleteChannel = graphql(`
  mutation DashboardDeleteChannel($id: ID!) {
    deleteChannel(id: $id) { id }
  }
`);

export const DashboardRecipients = graphql(`
  query DashboardRecipients($first: Int, $after: String, $channel: String, $search: String) {
    recipients(first: $first, after: $after, channel: $channel, search: $search) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id externalId createdAt channels { slug name } } }
    }
  }
`);

export const DashboardUpdateRecipient = graphql(`
  mutation DashboardUpdateRecipient($input: UpdateRecipientInput!) {
    updateRecipient(input: $input) { id externalId channels { slug name } }
  }
`);

export const DashboardDeleteRecipient = graphql(`
  mutation DashboardDeleteRecipient($id: ID!) {
    deleteRecipient(id: $id) { id }
  }
`);

export const DashboardUpsertRecipients = graphql(`
  mutation DashboardUpsertRecipients($input: UpsertRecipientsInput!) {
    upsertRecipients(input: $input) { created updated }
  }
`);

export const DashboardCreateApiKey = graphql(`
  mutation DashboardCreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) { secret apiKey { id name prefix } }
  }
`);

export const DashboardUpdateApiKey = graphql(`
  mutation DashboardUpdateApiKey($input: UpdateApiKeyInput!) {
    updateApiKey(input: $input) { id name }
  }
`);

export const DashboardRollApiKey = graphql(`
  mutation DashboardRollApiKey($input: RollApiKeyInput!) {
    rollApiKey(input: $input) { secret apiKey { id prefix previousSecretExpiresAt } }
  }
`);

export const DashboardRevokeApiKey = graphql(`
  mutation DashboardRevokeApiKey($id: ID!) {
    revokeApiKey(id: $id) { id status revokedAt }
  }
`);

export const DashboardAuditEvents = graphql(`
  query DashboardAuditEvents($apiKeyId: ID!) {
    auditEvents(apiKeyId: $apiKeyId, first: 50) {
      edges { node { id action at changes requestId member { id subject email name } } }
    }
  }
`);

export const DashboardMessages = graphql(`
  query DashboardMessages($first: Int, $after: String) {
    messages(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          title
          createdAt
          allRecipients
          channels { slug name }
          deliveryStats { recipients seen read webhooksSucceeded webhooksPending webhooksFailed }
        }
      }
    }
  }
`);

export const DashboardCreateRecipientToken = graphql(`
  mutation DashboardCreateRecipientToken($input: CreateRecipientTokenInput!) {
    createRecipientToken(input: $input) { token expiresAt recipient { id externalId channels { slug } } }
  }
`);

// With a recipient token: the preview reads and marks the inbox as the recipient's own app would.
export const PreviewInbox = graphql(`
  query PreviewInbox($first: Int, $after: String, $filter: InboxFilter) {
    inbox(first: $first, after: $after, filter: $filter) {
      totalCount
      unreadCount
      unseenCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ...PreviewInboxItem } }
    }
  }
`);

export const PreviewMarkInbox = graphql(`
  mutation PreviewMarkInbox($input: MarkInboxInput!) {
    markInbox(input: $input) { updated unreadCount unseenCount }
  }
`);

export const PreviewInboxEvents = graphql(`
  subscription PreviewInboxEvents($after: String) {
    inbox(after: $after) { kind cursor unreadCount unseenCount item { ...PreviewInboxItem } }
  }
`);

export const PreviewInboxItem = graphql(`
  fragment PreviewInboxItem on InboxItem { id title body channels createdAt seenAt readAt archivedAt }
`);

// The Webhooks view: endpoints, their changes, and each endpoint's attempt log.
export const DashboardWebhookEndpoints = graphql(`
  query DashboardWebhookEndpoints {
    webhookEndpoints { ...DashboardWebhookEndpoint }
  }
`);

export const DashboardWebhookEndpoint = graphql(`
  fragment DashboardWebhookEndpoint on WebhookEndpoint {
    id
    url
    description
    channels { id slug name }
    events
    enabled
    disabledReason
    createdAt
    lastSuccessAt
    failingSince
    previousSecretExpiresAt
  }
`);

export const DashboardCreateWebhookEndpoint = graphql(`
  mutation DashboardCreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) { secret endpoint { id url } }
  }
`);

export const DashboardUpdateWebhookEndpoint = graphql(`
  mutation DashboardUpdateWebhookEndpoint($input: UpdateWebhookEndpointInput!) {
    updateWebhookEndpoint(input: $input) { id enabled disabledReason }
  }
`);

export const DashboardDeleteWebhookEndpoint = graphql(`
  mutation DashboardDeleteWebhookEndpoint($id: ID!) {
    deleteWebhookEndpoint(id: $id) { id }
  }
`);

export const DashboardRollWebhookSecret = graphql(`
  mutation DashboardRollWebhookSecret($input: RollWebhookEndpointSecretInput!) {
    rollWebhookEndpointSecret(input: $input) { secret endpoint { id previousSecretExpiresAt } }
  }
`);

export const DashboardSendWebhookTestEvent = graphql(`
  mutation DashboardSendWebhookTestEvent($input: SendWebhookTestEventInput!) {
    sendWebhookTestEvent(input: $input) { eventId }
  }
`);

export const DashboardWebhookAttempts = graphql(`
  query DashboardWebhookAttempts($id: ID!, $first: Int, $after: String) {
    webhookEndpoint(id: $id) {
      id
      attempts(first: $first, after: $after) {
        pageInfo { hasNextPage endCursor }
        edges { node { id eventId eventType status attempt responseStatus durationMs error createdAt nextAttemptAt } }
      }
    }
  }
`);
