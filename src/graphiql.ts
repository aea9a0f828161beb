// The document GraphiQL opens with: the README walkthrough, runnable top to bottom.
export const WALKTHROUGH = `# Herald: send messages with scoped API keys.
#
# 1. Get a member token:  npm run --silent token -- --account acme
#    and add it under Headers:  { "Authorization": "Bearer <token>" }
# 2. Run the operations below in order (the ▶ button lists them).
# 3. Copy the secret from CreateKey into the Authorization header and run Send,
#    then SendOutsideScope: a channel-scoped key gets 403 FORBIDDEN.
# 4. See the message arrive in a recipient's inbox (the last three operations).

mutation CreateChannels {
  marketing: createChannel(input: { slug: "marketing", name: "Marketing" }) { id slug }
  billing: createChannel(input: { slug: "billing", name: "Billing" }) { id slug }
}

mutation CreateRecipients {
  ada: createRecipient(input: { externalId: "user-ada", channels: ["marketing"] }) { id externalId }
  bob: createRecipient(input: { externalId: "user-bob", channels: ["marketing", "billing"] }) { id externalId }
}

mutation CreateKey {
  createApiKey(input: { name: "Marketing sender", scope: { kind: CHANNELS, channels: ["marketing"] } }) {
    secret
    apiKey { id name prefix scope { kind channels { slug } } }
  }
}

query Keys {
  apiKeys { id name prefix lastUsedAt scope { kind channels { slug } } }
}

# With the API key secret in the Authorization header:
mutation Send {
  send(input: { target: { channels: ["marketing"] }, message: { title: "Hello", body: "First message" } }) {
    message { id recipientCount channels { slug } }
  }
}

mutation SendOutsideScope {
  send(input: { target: { channels: ["billing"] }, message: { title: "Hi", body: "Not allowed" } }) {
    message { id }
  }
}

# 4. A recipient's own inbox: mint a token for ada (with the key or a member token),
#    put it in the Authorization header, run Inbox, then LiveInbox and send again.
mutation RecipientToken {
  createRecipientToken(input: { externalId: "user-ada" }) { token expiresAt }
}

query Inbox {
  inbox(first: 10) { unreadCount edges { cursor node { id title body readAt } } }
}

subscription LiveInbox {
  inbox { kind cursor unreadCount item { id title readAt } }
}
`;
