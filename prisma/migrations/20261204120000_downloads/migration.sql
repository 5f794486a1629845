-- CreateEnum
CREATE TYPE "DownloadStatus" AS ENUM ('QUEUED', 'DOWNLOADING', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED');

-- CreateTable
CREATE TABLE "Download" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "url" TEXT NOT NULL,
    "target" TEXT,
    "vars" JSONB NOT NULL DEFAULT '{}',
    "sha256" TEXT,
    "path" TEXT,
    "status" "DownloadStatus" NOT NULL DEFAULT 'QUEUED',
    "bytesTotal" BIGINT,
    "bytesDone" BIGINT NOT NULL DEFAULT 0,
    "speedBps" DOUBLE PRECISION,
    "etaSeconds" INTEGER,
    "chunks" JSONB NOT NULL DEFAULT '[]',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "errorMessage" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Download_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Download_userId_id_idx" ON "Download"("userId", "id");
CREATE INDEX "Download_status_idx" ON "Download"("status");

-- AddForeignKey
ALTER TABLE "Download" ADD CONSTRAINT "Download_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
