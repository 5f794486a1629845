-- CreateEnum
CREATE TYPE "MediaKind" AS ENUM ('MOVIE', 'SHOW', 'SEASON', 'EPISODE');

-- CreateEnum
CREATE TYPE "WatchSource" AS ENUM ('MANUAL', 'LETTERBOXD', 'TRAKT', 'KLUG_JSON', 'KLUG_CSV', 'JELLYFIN');

-- CreateTable
CREATE TABLE "Media" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "kind" "MediaKind" NOT NULL,
    "title" TEXT NOT NULL,
    "normalizedTitle" TEXT NOT NULL,
    "year" INTEGER,
    "showId" UUID,
    "seasonId" UUID,
    "seasonNumber" INTEGER,
    "episodeNumber" INTEGER,
    "seriesTitle" TEXT,
    "seriesIds" JSONB,
    "tmdbId" TEXT,
    "imdbId" TEXT,
    "tvdbId" TEXT,
    "jellyfinId" TEXT,
    "letterboxdId" TEXT,
    "traktId" TEXT,
    "genres" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "runtimeMinutes" INTEGER,
    "directors" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "cast" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "overview" TEXT,
    "posterUrl" TEXT,
    "releaseDate" DATE,
    "rating" DOUBLE PRECISION,
    "ratedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Media_pkey" PRIMARY KEY ("id"),
    -- not modelled by Prisma: half steps from 0.5 to 5.0
    CONSTRAINT "Media_rating_check" CHECK ("rating" IS NULL OR ("rating" BETWEEN 0.5 AND 5 AND "rating" * 2 = floor("rating" * 2)))
);

-- CreateTable
CREATE TABLE "WatchEvent" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "mediaId" UUID NOT NULL,
    "watchedAt" TIMESTAMPTZ(3) NOT NULL,
    "source" "WatchSource" NOT NULL,
    "rating" DOUBLE PRECISION,
    "rewatch" BOOLEAN NOT NULL DEFAULT false,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "review" TEXT,
    "importBatchId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WatchEvent_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "WatchEvent_rating_check" CHECK ("rating" IS NULL OR ("rating" BETWEEN 0.5 AND 5 AND "rating" * 2 = floor("rating" * 2)))
);

-- CreateTable
CREATE TABLE "ShareLink" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "ttlDays" INTEGER NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMPTZ(3),
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "ShareLink_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Media_userId_kind_normalizedTitle_year_idx" ON "Media"("userId", "kind", "normalizedTitle", "year");

-- CreateIndex
CREATE INDEX "Media_userId_title_id_idx" ON "Media"("userId", "title", "id");

-- CreateIndex
CREATE INDEX "Media_showId_seasonNumber_episodeNumber_idx" ON "Media"("showId", "seasonNumber", "episodeNumber");

-- CreateIndex
CREATE INDEX "Media_seasonId_idx" ON "Media"("seasonId");

-- CreateIndex
CREATE UNIQUE INDEX "Media_userId_kind_tmdbId_key" ON "Media"("userId", "kind", "tmdbId");

-- CreateIndex
CREATE UNIQUE INDEX "Media_userId_kind_imdbId_key" ON "Media"("userId", "kind", "imdbId");

-- CreateIndex
CREATE UNIQUE INDEX "Media_userId_kind_tvdbId_key" ON "Media"("userId", "kind", "tvdbId");

-- CreateIndex
CREATE UNIQUE INDEX "Media_userId_kind_jellyfinId_key" ON "Media"("userId", "kind", "jellyfinId");

-- CreateIndex
CREATE UNIQUE INDEX "Media_userId_kind_letterboxdId_key" ON "Media"("userId", "kind", "letterboxdId");

-- CreateIndex
CREATE UNIQUE INDEX "Media_userId_kind_traktId_key" ON "Media"("userId", "kind", "traktId");

-- CreateIndex
CREATE INDEX "WatchEvent_userId_watchedAt_id_idx" ON "WatchEvent"("userId", "watchedAt", "id");

-- CreateIndex
CREATE INDEX "WatchEvent_mediaId_watchedAt_idx" ON "WatchEvent"("mediaId", "watchedAt");

-- CreateIndex
CREATE UNIQUE INDEX "WatchEvent_userId_mediaId_watchedAt_key" ON "WatchEvent"("userId", "mediaId", "watchedAt");

-- CreateIndex
CREATE UNIQUE INDEX "ShareLink_tokenHash_key" ON "ShareLink"("tokenHash");

-- CreateIndex
CREATE INDEX "ShareLink_userId_idx" ON "ShareLink"("userId");

-- CreateIndex
CREATE INDEX "ShareLink_expiresAt_idx" ON "ShareLink"("expiresAt");

-- AddForeignKey
ALTER TABLE "Media" ADD CONSTRAINT "Media_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Media" ADD CONSTRAINT "Media_showId_fkey" FOREIGN KEY ("showId") REFERENCES "Media"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Media" ADD CONSTRAINT "Media_seasonId_fkey" FOREIGN KEY ("seasonId") REFERENCES "Media"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WatchEvent" ADD CONSTRAINT "WatchEvent_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WatchEvent" ADD CONSTRAINT "WatchEvent_mediaId_fkey" FOREIGN KEY ("mediaId") REFERENCES "Media"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ShareLink" ADD CONSTRAINT "ShareLink_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
