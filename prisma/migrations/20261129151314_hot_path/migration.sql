-- DropForeignKey
ALTER TABLE "Delivery" DROP CONSTRAINT "Delivery_messageId_fkey";

-- DropForeignKey
ALTER TABLE "Delivery" DROP CONSTRAINT "Delivery_recipientId_fkey";

-- DropForeignKey
ALTER TABLE "IdempotencyKey" DROP CONSTRAINT "IdempotencyKey_apiKeyId_fkey";

-- DropForeignKey
ALTER TABLE "IdempotencyKey" DROP CONSTRAINT "IdempotencyKey_messageId_fkey";

-- Delivery's references, kept by statement-level triggers instead: a foreign
-- key checks (and locks) once per row, which cost ~1 s of a 100,000-recipient
-- send (1.6 s in all). These check every new row at once, lock the messages and
-- recipients as a foreign key would (FOR KEY SHARE: none can be deleted before
-- the insert commits), and delete a message's or recipient's deliveries with it.
-- Unlike foreign keys they do not refuse TRUNCATE or cascade an id's update:
-- Herald does neither.
CREATE FUNCTION herald_delivery_references() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT count(*) FROM (SELECT m.id FROM "Message" m WHERE m.id IN (SELECT "messageId" FROM new_rows) FOR KEY SHARE) AS locked)
     <> (SELECT count(DISTINCT "messageId") FROM new_rows) THEN
    RAISE foreign_key_violation USING MESSAGE = 'Delivery references a message that does not exist', CONSTRAINT = 'Delivery_messageId_fkey';
  END IF;
  IF (SELECT count(*) FROM (SELECT r.id FROM "Recipient" r WHERE r.id IN (SELECT "recipientId" FROM new_rows) FOR KEY SHARE) AS locked)
     <> (SELECT count(DISTINCT "recipientId") FROM new_rows) THEN
    RAISE foreign_key_violation USING MESSAGE = 'Delivery references a recipient that does not exist', CONSTRAINT = 'Delivery_recipientId_fkey';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "Delivery_references_on_insert" AFTER INSERT ON "Delivery"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION herald_delivery_references();
CREATE TRIGGER "Delivery_references_on_update" AFTER UPDATE ON "Delivery"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION herald_delivery_references();

-- What the foreign keys cascaded: deliveries (and idempotency records) go with their message, recipient or key.
CREATE FUNCTION herald_message_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "Delivery" WHERE "messageId" IN (SELECT id FROM old_rows);
  DELETE FROM "IdempotencyKey" WHERE "messageId" IN (SELECT id FROM old_rows);
  RETURN NULL;
END
$$;
CREATE TRIGGER "Message_cascade" AFTER DELETE ON "Message"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION herald_message_deleted();

CREATE FUNCTION herald_recipient_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "Delivery" WHERE "recipientId" IN (SELECT id FROM old_rows);
  RETURN NULL;
END
$$;
CREATE TRIGGER "Recipient_cascade" AFTER DELETE ON "Recipient"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION herald_recipient_deleted();

-- An idempotency record is a 24-hour memory of a send, written by the send's
-- own statement: no per-row checks on the hot path; it goes with its key.
CREATE FUNCTION herald_api_key_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "IdempotencyKey" WHERE "apiKeyId" IN (SELECT id FROM old_rows);
  RETURN NULL;
END
$$;
CREATE TRIGGER "ApiKey_cascade" AFTER DELETE ON "ApiKey"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION herald_api_key_deleted();
