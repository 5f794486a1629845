-- CreateEnum
CREATE TYPE "PlaylistSyncStatus" AS ENUM ('IDLE', 'SYNCING', 'ERROR');
CREATE TYPE "IptvSection" AS ENUM ('LIVE', 'VOD', 'SERIES');
CREATE TYPE "SeriesTrackMode" AS ENUM ('NEW_ONLY', 'ALL', 'SEASONS');

-- CreateTable
CREATE TABLE "Playlist" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "serverUrl" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "password" TEXT NOT NULL,
    "accountStatus" TEXT,
    "maxConnections" INTEGER,
    "expiresAt" TIMESTAMPTZ(3),
    "isTrial" BOOLEAN NOT NULL DEFAULT false,
    "syncStatus" "PlaylistSyncStatus" NOT NULL DEFAULT 'IDLE',
    "lastSyncAt" TIMESTAMPTZ(3),
    "lastError" TEXT,
    "sectionErrors" JSONB NOT NULL DEFAULT '{}',
    "syncProgress" JSONB NOT NULL DEFAULT '{}',
    "liveCount" INTEGER NOT NULL DEFAULT 0,
    "vodCount" INTEGER NOT NULL DEFAULT 0,
    "seriesCount" INTEGER NOT NULL DEFAULT 0,
    "skippedCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Playlist_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "IptvCategory" (
    "id" UUID NOT NULL,
    "playlistId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "section" "IptvSection" NOT NULL,
    "categoryId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "parentId" INTEGER,
    "position" INTEGER NOT NULL DEFAULT 0,
    "goneAt" TIMESTAMPTZ(3),

    CONSTRAINT "IptvCategory_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "LiveStream" (
    "id" UUID NOT NULL,
    "playlistId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "streamId" INTEGER NOT NULL,
    "num" INTEGER,
    "name" TEXT NOT NULL,
    "searchName" TEXT NOT NULL,
    "categoryId" TEXT,
    "streamType" TEXT,
    "icon" TEXT,
    "epgChannelId" TEXT,
    "tvArchive" BOOLEAN NOT NULL DEFAULT false,
    "tvArchiveDuration" INTEGER,
    "added" TIMESTAMPTZ(3),
    "goneAt" TIMESTAMPTZ(3),
    "favoritedAt" TIMESTAMPTZ(3),
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LiveStream_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "VodStream" (
    "id" UUID NOT NULL,
    "playlistId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "streamId" INTEGER NOT NULL,
    "num" INTEGER,
    "name" TEXT NOT NULL,
    "searchName" TEXT NOT NULL,
    "categoryId" TEXT,
    "icon" TEXT,
    "rating" DOUBLE PRECISION,
    "rating5" DOUBLE PRECISION,
    "containerExtension" TEXT,
    "added" TIMESTAMPTZ(3),
    "goneAt" TIMESTAMPTZ(3),
    "favoritedAt" TIMESTAMPTZ(3),
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "VodStream_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "IptvSeries" (
    "id" UUID NOT NULL,
    "playlistId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "seriesId" INTEGER NOT NULL,
    "num" INTEGER,
    "name" TEXT NOT NULL,
    "searchName" TEXT NOT NULL,
    "categoryId" TEXT,
    "cover" TEXT,
    "plot" TEXT,
    "cast" TEXT,
    "castSearch" TEXT,
    "director" TEXT,
    "genre" TEXT,
    "releaseDate" TEXT,
    "rating" DOUBLE PRECISION,
    "rating5" DOUBLE PRECISION,
    "episodeRunTime" INTEGER,
    "backdrops" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "youtubeTrailer" TEXT,
    "lastModified" TIMESTAMPTZ(3),
    "goneAt" TIMESTAMPTZ(3),
    "favoritedAt" TIMESTAMPTZ(3),
    "detailsFetchedAt" TIMESTAMPTZ(3),
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IptvSeries_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "IptvSeason" (
    "id" UUID NOT NULL,
    "seriesId" UUID NOT NULL,
    "seasonNumber" INTEGER NOT NULL,
    "name" TEXT,
    "airDate" TEXT,
    "episodeCount" INTEGER,
    "cover" TEXT,
    "overview" TEXT,

    CONSTRAINT "IptvSeason_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "IptvEpisode" (
    "id" UUID NOT NULL,
    "seriesId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "episodeId" TEXT NOT NULL,
    "season" INTEGER NOT NULL,
    "episodeNum" INTEGER,
    "title" TEXT,
    "containerExtension" TEXT,
    "durationSecs" INTEGER,
    "plot" TEXT,
    "image" TEXT,
    "added" TIMESTAMPTZ(3),
    "goneAt" TIMESTAMPTZ(3),
    "firstSeenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "queuedAt" TIMESTAMPTZ(3),
    "downloadId" UUID,

    CONSTRAINT "IptvEpisode_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "SeriesTracking" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "seriesId" UUID NOT NULL,
    "mode" "SeriesTrackMode" NOT NULL DEFAULT 'NEW_ONLY',
    "seasons" INTEGER[] DEFAULT ARRAY[]::INTEGER[],
    "language" TEXT,
    "since" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastCheckedAt" TIMESTAMPTZ(3),
    "lastError" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "SeriesTracking_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Playlist_userId_serverUrl_username_key" ON "Playlist"("userId", "serverUrl", "username");
CREATE INDEX "Playlist_userId_id_idx" ON "Playlist"("userId", "id");
CREATE UNIQUE INDEX "IptvCategory_playlistId_section_categoryId_key" ON "IptvCategory"("playlistId", "section", "categoryId");
CREATE INDEX "IptvCategory_userId_idx" ON "IptvCategory"("userId");
CREATE UNIQUE INDEX "LiveStream_playlistId_streamId_key" ON "LiveStream"("playlistId", "streamId");
CREATE INDEX "LiveStream_playlistId_categoryId_idx" ON "LiveStream"("playlistId", "categoryId");
CREATE INDEX "LiveStream_userId_favoritedAt_idx" ON "LiveStream"("userId", "favoritedAt");
CREATE UNIQUE INDEX "VodStream_playlistId_streamId_key" ON "VodStream"("playlistId", "streamId");
CREATE INDEX "VodStream_playlistId_categoryId_idx" ON "VodStream"("playlistId", "categoryId");
CREATE INDEX "VodStream_userId_favoritedAt_idx" ON "VodStream"("userId", "favoritedAt");
CREATE UNIQUE INDEX "IptvSeries_playlistId_seriesId_key" ON "IptvSeries"("playlistId", "seriesId");
CREATE INDEX "IptvSeries_playlistId_categoryId_idx" ON "IptvSeries"("playlistId", "categoryId");
CREATE INDEX "IptvSeries_userId_favoritedAt_idx" ON "IptvSeries"("userId", "favoritedAt");
CREATE UNIQUE INDEX "IptvSeason_seriesId_seasonNumber_key" ON "IptvSeason"("seriesId", "seasonNumber");
CREATE UNIQUE INDEX "IptvEpisode_downloadId_key" ON "IptvEpisode"("downloadId");
CREATE UNIQUE INDEX "IptvEpisode_seriesId_episodeId_key" ON "IptvEpisode"("seriesId", "episodeId");
CREATE INDEX "IptvEpisode_seriesId_season_episodeNum_idx" ON "IptvEpisode"("seriesId", "season", "episodeNum");
CREATE INDEX "IptvEpisode_userId_idx" ON "IptvEpisode"("userId");
CREATE UNIQUE INDEX "SeriesTracking_seriesId_key" ON "SeriesTracking"("seriesId");
CREATE INDEX "SeriesTracking_userId_id_idx" ON "SeriesTracking"("userId", "id");

-- AddForeignKey
ALTER TABLE "Playlist" ADD CONSTRAINT "Playlist_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "IptvCategory" ADD CONSTRAINT "IptvCategory_playlistId_fkey" FOREIGN KEY ("playlistId") REFERENCES "Playlist"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "LiveStream" ADD CONSTRAINT "LiveStream_playlistId_fkey" FOREIGN KEY ("playlistId") REFERENCES "Playlist"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "VodStream" ADD CONSTRAINT "VodStream_playlistId_fkey" FOREIGN KEY ("playlistId") REFERENCES "Playlist"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "IptvSeries" ADD CONSTRAINT "IptvSeries_playlistId_fkey" FOREIGN KEY ("playlistId") REFERENCES "Playlist"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "IptvSeason" ADD CONSTRAINT "IptvSeason_seriesId_fkey" FOREIGN KEY ("seriesId") REFERENCES "IptvSeries"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "IptvEpisode" ADD CONSTRAINT "IptvEpisode_seriesId_fkey" FOREIGN KEY ("seriesId") REFERENCES "IptvSeries"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "IptvEpisode" ADD CONSTRAINT "IptvEpisode_downloadId_fkey" FOREIGN KEY ("downloadId") REFERENCES "Download"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "SeriesTracking" ADD CONSTRAINT "SeriesTracking_seriesId_fkey" FOREIGN KEY ("seriesId") REFERENCES "IptvSeries"("id") ON DELETE CASCADE ON UPDATE CASCADE;
