-- CreateEnum
CREATE TYPE "RunStatus" AS ENUM ('QUEUED', 'RUNNING', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED');

-- CreateTable
CREATE TABLE "Run" (
    "id" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "userId" UUID,
    "subjectId" UUID,
    "status" "RunStatus" NOT NULL DEFAULT 'QUEUED',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "maxAttempts" INTEGER NOT NULL DEFAULT 3,
    "runAfter" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "node" TEXT,
    "leaseOwner" TEXT,
    "leaseUntil" TIMESTAMPTZ(3),
    "heartbeatAt" TIMESTAMPTZ(3),
    "cancelRequested" BOOLEAN NOT NULL DEFAULT false,
    "pauseRequested" BOOLEAN NOT NULL DEFAULT false,
    "progress" JSONB NOT NULL DEFAULT '{}',
    "checkpoint" JSONB,
    "error" TEXT,
    "dedupeKey" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Run_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Run_dedupeKey_key" ON "Run"("dedupeKey");
CREATE INDEX "Run_status_runAfter_idx" ON "Run"("status", "runAfter");
CREATE INDEX "Run_kind_id_idx" ON "Run"("kind", "id");
CREATE INDEX "Run_subjectId_idx" ON "Run"("subjectId");

-- AddForeignKey
ALTER TABLE "Run" ADD CONSTRAINT "Run_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Batches that were waiting or running become queued runs: the new workers take them over (or fail them when their files are gone)
INSERT INTO "Run" ("id", "kind", "userId", "subjectId", "status", "cancelRequested", "createdAt")
SELECT gen_random_uuid(), 'import', "userId", "id", 'QUEUED', "cancelRequested", "createdAt"
FROM "ImportBatch" WHERE "status" IN ('QUEUED', 'PROCESSING', 'ENRICHING');

-- The run holds the lease and the cancel request now
ALTER TABLE "ImportBatch" DROP COLUMN "heartbeatAt", DROP COLUMN "cancelRequested";

-- A scheduled job runs once at a time across every replica
CREATE UNIQUE INDEX "Run_one_active_job" ON "Run"("kind") WHERE "kind" LIKE 'job:%' AND "status" IN ('QUEUED', 'RUNNING');
