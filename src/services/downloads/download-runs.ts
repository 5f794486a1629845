import { relative, resolve } from 'node:path';
import type { RawSql } from '../../db/database.js';
import type { Download, DownloadStatus } from '../../generated/prisma/client.js';
import type { RunKind } from '../../jobs/run-kind.js';
import type { RunRecord } from '../../jobs/run-record.js';
import { DomainError } from '../errors.js';
import { fetchDownload, type DownloadCheckpoint, type DownloadProgress, type FetchDeps } from './fetch-download.js';
import { partPathOf, removeFile } from './part-file.js';

export const DOWNLOAD_RUN = 'download';

/** The download status a run shows as. */
export function downloadStatus(run: Pick<RunRecord, 'status'>): DownloadStatus {
  return run.status === 'RUNNING' ? 'DOWNLOADING' : run.status;
}

/**
 * Downloads as runs: the work is fetchDownload; the Download row mirrors the run (status, counters,
 * error) in the same transaction as each change. A cancelled download's `.part` is removed; a failed
 * one keeps it, so retryDownload resumes.
 */
export function downloadRunKind(deps: FetchDeps): RunKind<DownloadCheckpoint, Download> {
  return {
    name: DOWNLOAD_RUN,
    concurrency: deps.settings.concurrency,
    maxAttempts: 5,
    // a refusal or a wrong file is final; network failures that outlasted the range retries are tried again later
    retryable: (error) => !(error instanceof DomainError),
    failureMessage: 'the download kept failing on network errors; retryDownload resumes it where it stopped',
    run: (ctx) => fetchDownload(ctx, deps),
    mirror: (conn, run) => mirrorDownload(conn, run),
    ended: async (run) => {
      if (run.status !== 'CANCELLED') return;
      const download = await deps.prisma.download.findUnique({ where: { id: run.subjectId! }, select: { path: true } });
      if (!download?.path) return;
      const absolute = resolve(deps.settings.dir, download.path);
      if (relative(deps.settings.dir, absolute).startsWith('..')) return;
      await removeFile(partPathOf(absolute));
    },
  };
}

async function mirrorDownload(conn: RawSql, run: RunRecord): Promise<Download> {
  const status = downloadStatus(run);
  const progress = run.progress as Partial<DownloadProgress>;
  const live = status === 'DOWNLOADING';
  const [row] = await conn.query<Download>(
    `UPDATE "Download" SET status = $2::"DownloadStatus", path = coalesce($3, path),
       "bytesTotal" = coalesce($4::bigint, "bytesTotal"), "bytesDone" = coalesce($5::bigint, "bytesDone"),
       "speedBps" = $6, "etaSeconds" = $7, chunks = coalesce($8::jsonb, chunks), attempts = $9,
       "errorMessage" = $10, "startedAt" = $11, "finishedAt" = $12, "updatedAt" = now()
     WHERE id = $1::uuid RETURNING *`,
    [
      run.subjectId,
      status,
      typeof progress.path === 'string' && progress.path ? progress.path : null,
      typeof progress.bytesTotal === 'number' ? progress.bytesTotal : null,
      typeof progress.bytesDone === 'number' ? progress.bytesDone : null,
      live && typeof progress.speedBps === 'number' ? progress.speedBps : null,
      live && typeof progress.etaSeconds === 'number' ? progress.etaSeconds : null,
      Array.isArray(progress.chunks) ? JSON.stringify(progress.chunks) : null,
      run.attempts,
      status === 'FAILED' || status === 'QUEUED' ? run.error : null,
      run.startedAt,
      run.finishedAt,
    ],
  );
  return asDownload(row!);
}

/** A row as SQL gave it (bigints as strings or bigints, by driver) in Prisma's shape. */
function asDownload(row: Download): Download {
  return {
    ...row,
    bytesTotal: row.bytesTotal === null ? null : BigInt(row.bytesTotal),
    bytesDone: BigInt(row.bytesDone),
    speedBps: row.speedBps === null ? null : Number(row.speedBps),
  };
}
