-- Recipients and channels you can manage: the audit actions of renaming and
-- deleting channels, and of editing, erasing and importing recipients.
-- (PostgreSQL 12 and later add several enum values in one transaction.)

-- AlterEnum
ALTER TYPE "AuditAction" ADD VALUE 'CHANNEL_UPDATED';
ALTER TYPE "AuditAction" ADD VALUE 'CHANNEL_DELETED';
ALTER TYPE "AuditAction" ADD VALUE 'RECIPIENT_UPDATED';
ALTER TYPE "AuditAction" ADD VALUE 'RECIPIENT_DELETED';
ALTER TYPE "AuditAction" ADD VALUE 'RECIPIENTS_IMPORTED';
