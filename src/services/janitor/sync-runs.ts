import type { RawSql } from '../../db/database.js';
import type { MediaServer, PrismaClient } from '../../generated/prisma/client.js';
import type { RunKind } from '../../jobs/run-kind.js';
import type { RunRecord } from '../../jobs/run-record.js';
import { CacheWriter } from './cache.js';
import { JellyfinClient } from './jellyfin.js';
import type { JellyseerrClient } from './jellyseerr.js';
import { SYNC_RUN, type MediaServerService } from './servers.js';
import { syncJellyfin, syncJellyseerr, type SyncDeps } from './sync.js';

/**
 * A media server's sync as a run: the work is syncJellyfin / syncJellyseerr; the server row mirrors the run
 * (syncStatus, progress, lastError) in the same transaction as each change, and is what `run:changed` carries.
 */
export function syncRunKind(deps: SyncDeps & { prisma: PrismaClient; servers: MediaServerService; concurrency: number }): RunKind<null, MediaServer | null> {
  return {
    name: SYNC_RUN,
    concurrency: deps.concurrency,
    // an upstream failure is final for this run (the last good cache stands); the next sync tries again
    maxAttempts: 2,
    failureMessage: 'the sync stopped on an unexpected error; the last good cache is kept',
    run: async (ctx) => {
      const server = await deps.prisma.mediaServer.findUnique({ where: { id: ctx.run.subjectId! } });
      if (!server) return { phase: 'gone' };
      const client = deps.servers.clientFor(server);
      return client instanceof JellyfinClient ? syncJellyfin(deps, ctx, server, client) : syncJellyseerr(deps, ctx, server, client as JellyseerrClient);
    },
    mirror: (conn, run) => mirrorServer(conn, run),
    ended: (run) => new CacheWriter(deps.sql).discardStaged(run.subjectId!),
  };
}

async function mirrorServer(conn: RawSql, run: RunRecord): Promise<MediaServer | null> {
  const syncStatus = run.status === 'FAILED' ? 'ERROR' : run.status === 'COMPLETED' || run.status === 'CANCELLED' ? 'IDLE' : 'SYNCING';
  const [server] = await conn.query<MediaServer>(
    `UPDATE "MediaServer" SET "syncStatus" = $2::text::"MediaServerSyncStatus", "syncProgress" = $3::jsonb, "updatedAt" = now(),
       "lastError" = CASE WHEN $2::text = 'ERROR' THEN $4::text WHEN $5::boolean THEN NULL ELSE "lastError" END
     WHERE id = $1::uuid RETURNING *`,
    [run.subjectId, syncStatus, JSON.stringify({ ...run.progress, status: run.status }), run.error, run.status === 'COMPLETED'],
  );
  return server ?? null;
}
