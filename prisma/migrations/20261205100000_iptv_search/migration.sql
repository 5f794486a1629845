-- A hash of each catalog row's synced fields: a re-sync with nothing changed writes nothing.
ALTER TABLE "LiveStream" ADD COLUMN "fingerprint" INTEGER;
ALTER TABLE "VodStream" ADD COLUMN "fingerprint" INTEGER;
ALTER TABLE "IptvSeries" ADD COLUMN "fingerprint" INTEGER;

-- Lists are read in name order, present rows only: a page of a long list (or a search for a common word) walks
-- this index and stops after its page.
CREATE INDEX "LiveStream_playlistId_name_id_idx" ON "LiveStream"("playlistId", "name", "id") WHERE "goneAt" IS NULL;
CREATE INDEX "VodStream_playlistId_name_id_idx" ON "VodStream"("playlistId", "name", "id") WHERE "goneAt" IS NULL;
CREATE INDEX "IptvSeries_playlistId_name_id_idx" ON "IptvSeries"("playlistId", "name", "id") WHERE "goneAt" IS NULL;

-- A search for a rare word uses a trigram index on the normalised name (and cast) where pg_trgm can be had
-- (embedded PGlite loads it; PostgreSQL ships it in contrib). Without it, searches scan the playlist's rows.
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'pg_trgm is not available (%): IPTV search scans instead of using a trigram index', SQLERRM;
END
$$;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    EXECUTE 'CREATE INDEX "LiveStream_searchName_trgm_idx" ON "LiveStream" USING gin ("searchName" gin_trgm_ops)';
    EXECUTE 'CREATE INDEX "VodStream_searchName_trgm_idx" ON "VodStream" USING gin ("searchName" gin_trgm_ops)';
    EXECUTE 'CREATE INDEX "IptvSeries_searchName_trgm_idx" ON "IptvSeries" USING gin ("searchName" gin_trgm_ops)';
    EXECUTE 'CREATE INDEX "IptvSeries_castSearch_trgm_idx" ON "IptvSeries" USING gin ("castSearch" gin_trgm_ops)';
  END IF;
END
$$;
