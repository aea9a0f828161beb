-- CreateTable
CREATE TABLE "AuthFailure" (
    "bucket" TEXT NOT NULL,
    "windowEnd" TIMESTAMPTZ(3) NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "AuthFailure_pkey" PRIMARY KEY ("bucket")
);
