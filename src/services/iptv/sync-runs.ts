import type { RawSql } from '../../db/database.js';
import type { Playlist } from '../../generated/prisma/client.js';
import type { RunKind } from '../../jobs/run-kind.js';
import type { RunRecord } from '../../jobs/run-record.js';
import { PLAYLIST_SYNC_RUN, type PlaylistService } from './playlists.js';
import { syncPlaylist, type SyncCheckpoint, type SyncDeps, type SyncProgress } from './sync.js';

/**
 * A playlist's sync as a run: the work is syncPlaylist; the playlist row mirrors the run (syncStatus, progress,
 * lastError) in the same transaction as each change, and is what `run:changed` carries to playlistSyncProgress.
 */
export function playlistSyncRunKind(deps: SyncDeps & { playlists: PlaylistService; concurrency: number }): RunKind<SyncCheckpoint, Playlist | null> {
  return {
    name: PLAYLIST_SYNC_RUN,
    concurrency: deps.concurrency,
    // a crash of the worker is taken over from the last finished section; an upstream failure waits for the next sync
    maxAttempts: 3,
    failureMessage: 'the sync stopped on an unexpected error; what was synced before is kept',
    run: async (ctx) => {
      const playlist = await deps.prisma.playlist.findUnique({ where: { id: ctx.run.subjectId! } });
      if (!playlist) return { phase: 'gone' };
      return { ...(await syncPlaylist(ctx, deps, playlist, deps.playlists.clientFor(playlist))) };
    },
    mirror: (conn, run) => mirrorPlaylist(conn, run),
  };
}

async function mirrorPlaylist(conn: RawSql, run: RunRecord): Promise<Playlist | null> {
  const progress = run.progress as Partial<SyncProgress>;
  const someFailed = (progress.sectionsFailed?.length ?? 0) > 0;
  const syncStatus =
    run.status === 'FAILED' ? 'ERROR' : run.status === 'COMPLETED' ? (someFailed ? 'ERROR' : 'IDLE') : run.status === 'CANCELLED' ? 'IDLE' : 'SYNCING';
  const [playlist] = await conn.query<Playlist>(
    `UPDATE "Playlist" SET "syncStatus" = $2::text::"PlaylistSyncStatus", "syncProgress" = $3::jsonb, "updatedAt" = now(),
       "lastError" = CASE WHEN $4::boolean THEN coalesce($5::text, "lastError") ELSE "lastError" END
     WHERE id = $1::uuid RETURNING *`,
    [run.subjectId, syncStatus, JSON.stringify({ ...run.progress, status: run.status }), run.status === 'FAILED', run.error],
  );
  return playlist ?? null;
}
