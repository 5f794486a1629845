import { basename } from 'node:path';
import type { Download } from '../generated/prisma/client.js';
import { maskUrl } from '../services/downloads/url-mask.js';
import { AddressRefusedError, NotFoundError, ValidationError } from '../services/errors.js';
import { builder } from './builder.js';
import { ErrorInterface, resultUnion } from './errors.js';
import { asUuid, NO_MATCH } from './ids.js';
import { successPayload } from './payloads.js';

export const DownloadStatusEnum = builder.enumType('DownloadStatus', {
  values: {
    QUEUED: { description: 'waiting for a free slot (KLUG_DOWNLOAD_CONCURRENCY), or for its next try after a failure' },
    DOWNLOADING: {},
    PAUSED: { description: 'stopped by its owner; resumeDownload goes on where it stopped' },
    COMPLETED: { description: 'verified, synced and moved to its path' },
    FAILED: { description: 'see errorMessage; retryDownload resumes it' },
    CANCELLED: { description: 'stopped for good, its .part file removed' },
  } as const,
});

builder.objectType(AddressRefusedError, {
  name: 'AddressRefusedError',
  description: 'The URL leads to this machine or a private network, which downloads may not reach (KLUG_DOWNLOAD_ALLOW_PRIVATE)',
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof AddressRefusedError,
  fields: (t) => ({ host: t.exposeString('host') }),
});

interface Chunk {
  start: number;
  end: number;
  done: number;
}

const DownloadChunkType = builder.objectRef<Chunk>('DownloadChunk').implement({
  description: 'A byte range of the file fetched over one connection',
  fields: (t) => ({
    start: t.exposeFloat('start', { description: 'first byte' }),
    end: t.exposeFloat('end', { description: 'the byte after the last one (exclusive)' }),
    done: t.exposeFloat('done', { description: 'bytes of the range written, from its start' }),
  }),
});

const bytes = (value: bigint | number | null) => (value === null ? null : Number(value));

// Fields read the row only (no `select`), so a subscription's rows, which come from the runs mechanism, need no query.
export const DownloadType = builder.prismaNode('Download', {
  nullable: true,
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id: asUuid(id), userId: ctx.viewer?.user.id ?? NO_MATCH }),
  fields: (t) => ({
    status: t.expose('status', { type: DownloadStatusEnum }),
    url: t.string({ description: 'as queued, with credentials (userinfo, an Xtream account, secret parameters) masked', resolve: (d) => maskUrl(d.url) }),
    path: t.exposeString('path', { nullable: true, description: 'where the file lands, relative to the download directory, once known' }),
    fileName: t.string({ nullable: true, resolve: (d) => (d.path ? basename(d.path) : null) }),
    bytesTotal: t.float({ nullable: true, description: 'null while the size is unknown', resolve: (d) => bytes(d.bytesTotal) }),
    bytesDone: t.float({ resolve: (d) => bytes(d.bytesDone)! }),
    progress: t.float({ description: '0..1', resolve: (d) => progressOf(d) }),
    speedBps: t.float({ nullable: true, description: 'bytes per second, smoothed over the last seconds; null unless downloading', resolve: (d) => d.speedBps }),
    etaSeconds: t.exposeInt('etaSeconds', { nullable: true }),
    chunks: t.field({ type: [DownloadChunkType], resolve: (d) => (Array.isArray(d.chunks) ? (d.chunks as unknown as Chunk[]) : []) }),
    attempts: t.exposeInt('attempts', { description: 'tries of the current run (an interruption counts as one)' }),
    errorMessage: t.exposeString('errorMessage', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'when its state or counters last changed' }),
  }),
});

function progressOf(d: Download): number {
  if (d.status === 'COMPLETED') return 1;
  const total = bytes(d.bytesTotal);
  return total ? Math.min(1, Number(d.bytesDone) / total) : 0;
}

export const EnqueueDownloadInput = builder.inputType('EnqueueDownloadInput', {
  fields: (t) => ({
    url: t.string({ description: 'http or https; or give vodStreamId or episodeId instead' }),
    vodStreamId: t.id({ description: 'a VodStream of one of your playlists: its file goes to VOD/{language}/{title}/{title}.{ext}' }),
    episodeId: t.id({ description: 'an IptvEpisode of one of your playlists: its file goes to Series/{language}/{series}/Season {season}/{title}.{ext}' }),
    language: t.string({ description: 'with vodStreamId or episodeId: the {language} folder (none when omitted)' }),
    fileName: t.string({ description: "the file's name in the download directory; else the server's (Content-Disposition or the URL)" }),
    path: t.string({
      description: 'a path template relative to the download directory, e.g. "Films/{title}.{ext}" ({title} {ext} {language} {series} {season} {episode} {year}); ending in / it names a folder',
    }),
    sha256: t.string({ description: 'the SHA-256 (hex) the file must have: checked before it is moved into place' }),
  }),
});

const DownloadSuccess = (name: string) =>
  successPayload(name, { field: 'download', model: 'Download', id: (result: { downloadId: string }) => result.downloadId });

export const EnqueueDownloadResult = resultUnion('EnqueueDownloadResult', DownloadSuccess('EnqueueDownloadSuccess'), [ValidationError, NotFoundError, AddressRefusedError]);
export const DownloadResult = resultUnion('DownloadResult', DownloadSuccess('DownloadSuccess'), [NotFoundError, ValidationError]);
