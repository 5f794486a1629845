-- CreateEnum
CREATE TYPE "EnrichmentStatus" AS ENUM ('PENDING', 'ENRICHED', 'NOT_FOUND', 'AMBIGUOUS', 'FAILED');

-- AlterTable: nullable columns and a constant default, so this is quick on a populated table
ALTER TABLE "Media"
    ADD COLUMN "originalTitle" TEXT,
    ADD COLUMN "originalLanguage" TEXT,
    ADD COLUMN "voteAverage" DOUBLE PRECISION,
    ADD COLUMN "enrichmentStatus" "EnrichmentStatus" NOT NULL DEFAULT 'PENDING',
    ADD COLUMN "enrichmentError" TEXT,
    ADD COLUMN "enrichmentCandidates" JSONB,
    ADD COLUMN "enrichedAt" TIMESTAMPTZ(3),
    ADD COLUMN "posterHash" TEXT,
    ADD COLUMN "backdropHash" TEXT,
    ADD COLUMN "customPosterHash" TEXT,
    ADD COLUMN "customBackdropHash" TEXT;

-- CreateIndex
CREATE INDEX "Media_enrichmentStatus_idx" ON "Media"("enrichmentStatus");

-- CreateTable
CREATE TABLE "TmdbRecord" (
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "posterHash" TEXT,
    "backdropHash" TEXT,
    "fetchedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TmdbRecord_pkey" PRIMARY KEY ("kind", "key")
);

-- CreateIndex
CREATE INDEX "TmdbRecord_fetchedAt_idx" ON "TmdbRecord"("fetchedAt");

-- CreateTable
CREATE TABLE "Artwork" (
    "hash" TEXT NOT NULL,
    "mimeType" TEXT NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "bytes" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Artwork_pkey" PRIMARY KEY ("hash")
);
