-- The inbox: each delivery is a recipient's inbox item, with its state, read
-- newest first by its message's seq.

-- AlterTable
ALTER TABLE "Delivery" ADD COLUMN     "archivedAt" TIMESTAMPTZ(3),
ADD COLUMN     "messageSeq" BIGINT,
ADD COLUMN     "readAt" TIMESTAMPTZ(3),
ADD COLUMN     "seenAt" TIMESTAMPTZ(3);

UPDATE "Delivery" d SET "messageSeq" = m.seq FROM "Message" m WHERE m.id = d."messageId";

ALTER TABLE "Delivery" ALTER COLUMN "messageSeq" SET NOT NULL;

-- Instances of the previous release keep sending while a fleet rolls forward,
-- without the new column: a row that comes without it gets it from its
-- message. The WHEN clause is evaluated without calling the function, so the
-- new release's rows (which carry it) pay nothing per row.
CREATE FUNCTION herald_delivery_message_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT seq INTO NEW."messageSeq" FROM "Message" WHERE id = NEW."messageId";
  IF NEW."messageSeq" IS NULL THEN
    RAISE foreign_key_violation USING MESSAGE = 'Delivery references a message that does not exist', CONSTRAINT = 'Delivery_messageId_fkey';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER "Delivery_message_seq" BEFORE INSERT ON "Delivery"
  FOR EACH ROW WHEN (NEW."messageSeq" IS NULL) EXECUTE FUNCTION herald_delivery_message_seq();

-- DropIndex (the new index leads with the recipient: it serves what this one did)
DROP INDEX "Delivery_recipientId_idx";

-- CreateIndex
CREATE INDEX "Delivery_recipientId_messageSeq_idx" ON "Delivery"("recipientId", "messageSeq");

-- AlterTable: a message keeps the slugs it went to, whatever becomes of its channels.
ALTER TABLE "Message" ADD COLUMN     "channelSlugs" TEXT[] DEFAULT ARRAY[]::TEXT[];

UPDATE "Message" m SET "channelSlugs" = (
  SELECT array_agg(c.slug ORDER BY c.slug) FROM "MessageChannel" mc JOIN "Channel" c ON c.id = mc."channelId" WHERE mc."messageId" = m.id
) WHERE NOT m."allRecipients";

-- CreateTable
CREATE TABLE "SigningKey" (
    "id" TEXT NOT NULL,
    "secret" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SigningKey_pkey" PRIMARY KEY ("id")
);
