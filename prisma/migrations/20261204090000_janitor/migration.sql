-- CreateEnum
CREATE TYPE "MediaServerKind" AS ENUM ('JELLYFIN', 'JELLYSEERR');
CREATE TYPE "MediaServerSyncStatus" AS ENUM ('IDLE', 'SYNCING', 'ERROR');
CREATE TYPE "MediaServerItemKind" AS ENUM ('MOVIE', 'SERIES', 'EPISODE');
CREATE TYPE "AllowlistKind" AS ENUM ('CONTENT', 'FRENCH_ONLY', 'FRENCH_SUBS_ONLY', 'LANGUAGE_EXEMPT');

-- CreateTable
CREATE TABLE "MediaServer" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "kind" "MediaServerKind" NOT NULL,
    "url" TEXT NOT NULL,
    "apiKey" TEXT NOT NULL,
    "serverName" TEXT,
    "version" TEXT,
    "upstreamId" TEXT,
    "webhookSecretHash" TEXT,
    "historyUsers" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "historyGeneration" INTEGER,
    "generation" INTEGER NOT NULL DEFAULT 0,
    "syncStatus" "MediaServerSyncStatus" NOT NULL DEFAULT 'IDLE',
    "lastSyncAt" TIMESTAMPTZ(3),
    "lastError" TEXT,
    "syncProgress" JSONB NOT NULL DEFAULT '{}',
    "itemCount" INTEGER NOT NULL DEFAULT 0,
    "requestCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "MediaServer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MediaServerItem" (
    "connectionId" UUID NOT NULL,
    "generation" INTEGER NOT NULL,
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "jellyfinId" TEXT NOT NULL,
    "kind" "MediaServerItemKind" NOT NULL,
    "title" TEXT NOT NULL,
    "year" INTEGER,
    "seriesJellyfinId" TEXT,
    "seriesTitle" TEXT,
    "seasonNumber" INTEGER,
    "episodeNumber" INTEGER,
    "tmdbId" TEXT,
    "imdbId" TEXT,
    "tvdbId" TEXT,
    "addedAt" TIMESTAMPTZ(3),
    "sizeBytes" BIGINT NOT NULL DEFAULT 0,
    "versions" INTEGER NOT NULL DEFAULT 0,
    "audioLanguages" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "subtitleLanguages" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "unknownAudioTracks" INTEGER NOT NULL DEFAULT 0,
    "unknownSubtitleTracks" INTEGER NOT NULL DEFAULT 0,
    "played" BOOLEAN NOT NULL DEFAULT false,
    "lastPlayedAt" TIMESTAMPTZ(3),
    "playedBy" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "playCount" INTEGER NOT NULL DEFAULT 0,
    "episodeCount" INTEGER NOT NULL DEFAULT 0,
    "sortTitle" TEXT COLLATE "C" NOT NULL DEFAULT '',

    CONSTRAINT "MediaServerItem_pkey" PRIMARY KEY ("connectionId", "generation", "jellyfinId")
);

-- CreateTable
CREATE TABLE "MediaServerRequest" (
    "connectionId" UUID NOT NULL,
    "generation" INTEGER NOT NULL,
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "requestId" INTEGER NOT NULL,
    "tmdbId" TEXT NOT NULL,
    "mediaType" TEXT NOT NULL,
    "is4k" BOOLEAN NOT NULL DEFAULT false,
    "status" INTEGER NOT NULL,
    "mediaStatus" INTEGER,
    "requestedBy" TEXT,
    "requestedAt" TIMESTAMPTZ(3) NOT NULL,
    "updatedAt" TIMESTAMPTZ(3),
    "availableAt" TIMESTAMPTZ(3),
    "jellyfinMediaId" TEXT,
    "title" TEXT,
    "releaseDate" DATE,

    CONSTRAINT "MediaServerRequest_pkey" PRIMARY KEY ("connectionId", "generation", "requestId")
);

-- CreateTable
CREATE TABLE "RequestTitle" (
    "userId" UUID NOT NULL,
    "mediaType" TEXT NOT NULL,
    "tmdbId" TEXT NOT NULL,
    "title" TEXT,
    "releaseDate" DATE,
    "fetchedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RequestTitle_pkey" PRIMARY KEY ("userId", "mediaType", "tmdbId")
);

-- CreateTable
CREATE TABLE "AllowlistEntry" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "kind" "AllowlistKind" NOT NULL,
    "targetKind" TEXT NOT NULL,
    "jellyfinId" TEXT,
    "tmdbId" TEXT,
    "mediaType" TEXT,
    "title" TEXT NOT NULL,
    "note" TEXT,
    "expiresAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AllowlistEntry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "JanitorSettings" (
    "userId" UUID NOT NULL,
    "oldContentMonths" INTEGER NOT NULL DEFAULT 4,
    "minAgeMonths" INTEGER NOT NULL DEFAULT 3,
    "largeMovieGb" DOUBLE PRECISION NOT NULL DEFAULT 13,
    "recentReleaseMonths" INTEGER NOT NULL DEFAULT 3,
    "recentDays" INTEGER NOT NULL DEFAULT 7,
    "excludeFutureReleases" BOOLEAN NOT NULL DEFAULT true,
    "excludeRecentReleases" BOOLEAN NOT NULL DEFAULT true,
    "audioLanguages" TEXT[] DEFAULT ARRAY['eng', 'fre']::TEXT[],
    "subtitleLanguages" TEXT[] DEFAULT ARRAY['fre']::TEXT[],
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "JanitorSettings_pkey" PRIMARY KEY ("userId")
);

-- CreateIndex
CREATE UNIQUE INDEX "MediaServer_userId_kind_url_key" ON "MediaServer"("userId", "kind", "url");
CREATE INDEX "MediaServerItem_id_idx" ON "MediaServerItem"("id");
CREATE INDEX "MediaServerItem_userId_idx" ON "MediaServerItem"("userId");
CREATE INDEX "MediaServerRequest_id_idx" ON "MediaServerRequest"("id");
CREATE INDEX "MediaServerRequest_userId_idx" ON "MediaServerRequest"("userId");
-- The insights' orders, so a first page walks an index and stops (not in schema.prisma: partial and expression indexes)
CREATE INDEX "MediaServerItem_old_idx" ON "MediaServerItem"("userId", (coalesce("lastPlayedAt", "addedAt")), "id") WHERE "kind" IN ('MOVIE', 'SERIES');
CREATE INDEX "MediaServerItem_large_idx" ON "MediaServerItem"("userId", "sizeBytes", "id") WHERE "kind" = 'MOVIE';
CREATE INDEX "MediaServerItem_language_idx" ON "MediaServerItem"("userId", "sortTitle", "id") WHERE "kind" IN ('MOVIE', 'EPISODE');
CREATE INDEX "AllowlistEntry_userId_kind_id_idx" ON "AllowlistEntry"("userId", "kind", "id");

-- AddForeignKey
ALTER TABLE "MediaServer" ADD CONSTRAINT "MediaServer_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "MediaServerItem" ADD CONSTRAINT "MediaServerItem_connectionId_fkey" FOREIGN KEY ("connectionId") REFERENCES "MediaServer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "MediaServerRequest" ADD CONSTRAINT "MediaServerRequest_connectionId_fkey" FOREIGN KEY ("connectionId") REFERENCES "MediaServer"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "RequestTitle" ADD CONSTRAINT "RequestTitle_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "AllowlistEntry" ADD CONSTRAINT "AllowlistEntry_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "JanitorSettings" ADD CONSTRAINT "JanitorSettings_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
