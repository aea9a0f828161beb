-- AlterTable
ALTER TABLE "ApiKey" ADD COLUMN     "allowedIps" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "rateLimitPerMinute" INTEGER;

-- CreateTable
CREATE TABLE "IdempotencyKey" (
    "apiKeyId" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "messageId" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "IdempotencyKey_pkey" PRIMARY KEY ("apiKeyId","key")
);

-- CreateTable: UNLOGGED (not in schema.prisma, which cannot say it): rate-limit
-- state is rebuilt by the next minute of requests, so it skips the write-ahead log.
CREATE UNLOGGED TABLE "KeyRateLimit" (
    "apiKeyId" UUID NOT NULL,
    "tat" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "KeyRateLimit_pkey" PRIMARY KEY ("apiKeyId")
);

-- CreateIndex
CREATE INDEX "IdempotencyKey_expiresAt_idx" ON "IdempotencyKey"("expiresAt");

-- AddForeignKey
ALTER TABLE "IdempotencyKey" ADD CONSTRAINT "IdempotencyKey_apiKeyId_fkey" FOREIGN KEY ("apiKeyId") REFERENCES "ApiKey"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IdempotencyKey" ADD CONSTRAINT "IdempotencyKey_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE CASCADE ON UPDATE CASCADE;
