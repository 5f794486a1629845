-- WatchEvent keeps only what a query or integrity needs (issue 13): every row costs each index and foreign key
-- it has, and an import writes millions. What stays, and why:
--   WatchEvent_pkey (id)                                     node ids, deleteWatchEvent
--   WatchEvent_userId_mediaId_watchedAt_key                   one watch per item and instant (ON CONFLICT of every
--                                                            writer); an item's events, counts and ratings, by owner
--   WatchEvent_userId_watchedAt_id_idx                       history pages (keyset), stats by period, a person's events
--   WatchEvent_userId_mediaId_fkey → Media(userId, id)       the item exists and is the event's person's; deleting
--                                                            an item (or, through Media's own key, a person) cascades
-- What goes: the foreign keys to User (carried by Media's) and to ImportBatch (batches are deleted only before
-- they wrote anything, or with their person), and the indexes on importBatchId and (mediaId, watchedAt), whose
-- queries now name the person and use the keys above.

-- the composite key's target; id alone is unique, so this holds on any data
CREATE UNIQUE INDEX "Media_userId_id_key" ON "Media"("userId", "id");

-- an event whose item is another person's could only come from a bug; history stats already leave such events
-- out (they join the item on its owner), and the new key cannot hold with them
DELETE FROM "WatchEvent" e USING "Media" m WHERE m."id" = e."mediaId" AND m."userId" <> e."userId";

-- the new key first, so the events are never without one
ALTER TABLE "WatchEvent" ADD CONSTRAINT "WatchEvent_userId_mediaId_fkey" FOREIGN KEY ("userId", "mediaId") REFERENCES "Media"("userId", "id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "WatchEvent" DROP CONSTRAINT "WatchEvent_mediaId_fkey";
ALTER TABLE "WatchEvent" DROP CONSTRAINT "WatchEvent_userId_fkey";
ALTER TABLE "WatchEvent" DROP CONSTRAINT "WatchEvent_importBatchId_fkey";

DROP INDEX "WatchEvent_importBatchId_idx";
DROP INDEX "WatchEvent_mediaId_watchedAt_idx";
