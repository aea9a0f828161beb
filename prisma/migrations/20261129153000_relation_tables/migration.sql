-- The implicit many-to-many tables get real names and columns (their data kept):
-- _RecipientChannels (A: channel, B: recipient), _ApiKeyChannels (A: key, B: channel),
-- _MessageChannels (A: channel, B: message).

ALTER TABLE "_RecipientChannels" RENAME TO "RecipientChannel";
ALTER TABLE "RecipientChannel" RENAME COLUMN "A" TO "channelId";
ALTER TABLE "RecipientChannel" RENAME COLUMN "B" TO "recipientId";
ALTER TABLE "RecipientChannel" RENAME CONSTRAINT "_RecipientChannels_AB_pkey" TO "RecipientChannel_pkey";
ALTER INDEX "_RecipientChannels_B_index" RENAME TO "RecipientChannel_recipientId_idx";
ALTER TABLE "RecipientChannel" RENAME CONSTRAINT "_RecipientChannels_A_fkey" TO "RecipientChannel_channelId_fkey";
ALTER TABLE "RecipientChannel" RENAME CONSTRAINT "_RecipientChannels_B_fkey" TO "RecipientChannel_recipientId_fkey";

ALTER TABLE "_ApiKeyChannels" RENAME TO "ApiKeyChannel";
ALTER TABLE "ApiKeyChannel" RENAME COLUMN "A" TO "apiKeyId";
ALTER TABLE "ApiKeyChannel" RENAME COLUMN "B" TO "channelId";
ALTER TABLE "ApiKeyChannel" RENAME CONSTRAINT "_ApiKeyChannels_AB_pkey" TO "ApiKeyChannel_pkey";
ALTER INDEX "_ApiKeyChannels_B_index" RENAME TO "ApiKeyChannel_channelId_idx";
ALTER TABLE "ApiKeyChannel" RENAME CONSTRAINT "_ApiKeyChannels_A_fkey" TO "ApiKeyChannel_apiKeyId_fkey";
ALTER TABLE "ApiKeyChannel" RENAME CONSTRAINT "_ApiKeyChannels_B_fkey" TO "ApiKeyChannel_channelId_fkey";

ALTER TABLE "_MessageChannels" RENAME TO "MessageChannel";
ALTER TABLE "MessageChannel" RENAME COLUMN "A" TO "channelId";
ALTER TABLE "MessageChannel" RENAME COLUMN "B" TO "messageId";
ALTER TABLE "MessageChannel" RENAME CONSTRAINT "_MessageChannels_AB_pkey" TO "MessageChannel_pkey";
ALTER INDEX "_MessageChannels_B_index" RENAME TO "MessageChannel_messageId_idx";
ALTER TABLE "MessageChannel" RENAME CONSTRAINT "_MessageChannels_A_fkey" TO "MessageChannel_channelId_fkey";
ALTER TABLE "MessageChannel" RENAME CONSTRAINT "_MessageChannels_B_fkey" TO "MessageChannel_messageId_fkey";

-- Instances of the previous release keep running while a fleet rolls forward:
-- the old names stay as views (simple views accept their inserts and deletes).
-- Drop them in the release after next.
CREATE VIEW "_RecipientChannels" AS SELECT "channelId" AS "A", "recipientId" AS "B" FROM "RecipientChannel";
CREATE VIEW "_ApiKeyChannels" AS SELECT "apiKeyId" AS "A", "channelId" AS "B" FROM "ApiKeyChannel";
CREATE VIEW "_MessageChannels" AS SELECT "channelId" AS "A", "messageId" AS "B" FROM "MessageChannel";
