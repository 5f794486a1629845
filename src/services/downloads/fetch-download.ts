import { readFileSync } from 'node:fs';
import { uptime } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DownloadSettings } from '../../config.js';
import type { Download, PrismaClient } from '../../generated/prisma/client.js';
import type { RunContext } from '../../jobs/run-context.js';
import type { Logger } from '../../logger.js';
import { DownloadError, ValidationError } from '../errors.js';
import type { HostBudget } from './host-budget.js';
import { bareHost, type HttpClient } from './http-client.js';
import { exists, moveIntoPlace, partPathOf, PartFile, removeFile, requireSpace, sha256Of } from './part-file.js';
import { insideRoot, numbered, renderTemplate, type PathVars } from './paths.js';
import { probe, splitName } from './probe.js';
import { bytesDone, coherent, copyRanges, split, type Range } from './ranges.js';
import { FileChangedError, withRetries } from './retry.js';
import { SpeedMeter } from './speed.js';
import { transfer, type Plan } from './transfer.js';
import { maskUrl } from './url-mask.js';

/** Where a download resumes: its file, the version of it being fetched, and the bytes of each range on disk. */
export interface DownloadCheckpoint {
  /** the template's path, before a taken name was numbered */
  base: string;
  /** the path reserved for it (its `.part` is beside it), relative to the download directory */
  path: string;
  size: number | null;
  ranged: boolean;
  etag: string | null;
  lastModified: string | null;
  ranges: Range[];
  /**
   * the machine's boot the ranges were written in, and the ranges as of the last sync to disk: after a
   * crash of the process the page cache still holds every byte written; after one of the machine, only
   * the synced ones are sure
   */
  boot: string;
  synced: Range[] | null;
  /** fresh starts because the file changed upstream */
  restarts: number;
}

/** The counters a download's run reports (mirrored into its Download row). */
export type DownloadProgress = {
  path: string | null;
  bytesTotal: number | null;
  bytesDone: number;
  speedBps: number | null;
  etaSeconds: number | null;
  chunks: Range[];
};

export interface FetchDeps {
  prisma: PrismaClient;
  http: HttpClient;
  budget: HostBudget;
  settings: DownloadSettings;
  /** how often progress is reported (the runs mechanism publishes it at most this often anyway) */
  progressMs: number;
  log: Logger;
}

/** Fresh starts allowed when the file keeps changing upstream. */
const MAX_RESTARTS = 3;
/** `name (2).ext` … `name (9999).ext`, then the name counts as taken */
const MAX_NUMBERED = 9999;

/**
 * A download's run, top to bottom: resume from the checkpoint or probe and reserve a name; fetch
 * what is missing over many connections while reporting progress and checkpointing; verify, sync
 * and move the file into place. A file that changes upstream starts again from a fresh probe.
 */
export async function fetchDownload(ctx: RunContext<DownloadCheckpoint>, deps: FetchDeps): Promise<DownloadProgress> {
  const download = await deps.prisma.download.findUniqueOrThrow({ where: { id: ctx.run.subjectId! } });
  const host = bareHost(new URL(download.url));
  let checkpoint = ctx.run.checkpoint;
  deps.log.info({ downloadId: download.id, url: maskUrl(download.url), resume: !!checkpoint }, 'download started');
  for (;;) {
    const resumed = checkpoint ? await resume(checkpoint, deps) : null;
    const { state, file } = resumed ?? (await start(ctx, deps, download, checkpoint?.restarts ?? 0));
    const plan: Plan = { url: download.url, host, size: state.size, ranged: state.ranged, validators: state, ranges: state.ranges };
    try {
      await fetchReporting(ctx, deps, state, plan, file);
    } catch (error) {
      await file.close();
      if (!(error instanceof FileChangedError)) throw error;
      if (state.restarts >= MAX_RESTARTS) throw new DownloadError('FILE_KEEPS_CHANGING', `The file changed upstream ${MAX_RESTARTS + 1} times while it was fetched`);
      deps.log.info({ downloadId: download.id, reason: error.message }, 'the file changed upstream: starting again');
      await removeFile(file.path);
      checkpoint = { ...state, restarts: state.restarts + 1, ranges: [], path: '' };
      continue;
    }
    return complete(deps, download, state, file);
  }
}

/** What an earlier run left, when its `.part` is still there as it was; a stream without ranges starts over. */
async function resume(checkpoint: DownloadCheckpoint, deps: FetchDeps): Promise<{ state: DownloadCheckpoint; file: PartFile } | null> {
  if (!checkpoint.path) return null;
  const absolute = await insideRoot(deps.settings.dir, checkpoint.path);
  const file = await PartFile.reopen(partPathOf(absolute), checkpoint.ranged ? checkpoint.size : null);
  if (!file) return null;
  // the machine restarted since: only what was synced is sure to be on disk
  const ranges = checkpoint.boot === bootId() ? checkpoint.ranges : checkpoint.synced;
  if (checkpoint.ranged && checkpoint.size !== null && ranges && coherent(ranges, checkpoint.size)) {
    await requireSpace(deps.settings.dir, checkpoint.size - bytesDone(ranges));
    return { state: { ...checkpoint, ranges: copyRanges(ranges), boot: bootId() }, file };
  }
  await file.reset(checkpoint.size);
  return { state: { ...checkpoint, ranges: [{ start: 0, end: checkpoint.size ?? Number.POSITIVE_INFINITY, done: 0 }], synced: null, boot: bootId() }, file };
}

/** Probes the file, checks the room it needs, and reserves its name with an empty `.part`. */
async function start(ctx: RunContext<DownloadCheckpoint>, deps: FetchDeps, download: Download, restarts: number): Promise<{ state: DownloadCheckpoint; file: PartFile }> {
  const { settings } = deps;
  // the probe is a connection too: it waits for a slot of the host's budget like any range
  const release = await deps.budget.acquire(bareHost(new URL(download.url)), ctx.signal);
  const found = await withRetries(() => probe(deps.http, download.url, ctx.signal), retryPolicy(settings), ctx.signal).finally(release);
  if (found.size !== null) await requireSpace(settings.dir, found.size);
  // values known when it was queued (an episode's title) win over the name the server gives
  const known = Object.fromEntries(Object.entries(download.vars as PathVars).filter(([, value]) => value !== null && value !== undefined && value !== ''));
  const base = renderTemplate(download.target, { ...splitName(found.fileName), ...known });
  const ranges = found.ranged && found.size !== null ? split(found.size, settings.chunks) : [{ start: 0, end: found.size ?? Number.POSITIVE_INFINITY, done: 0 }];
  for (let n = 1; n <= MAX_NUMBERED; n++) {
    const path = numbered(base, n);
    const absolute = await insideRoot(settings.dir, path);
    if ((await exists(absolute)) || (await exists(partPathOf(absolute)))) continue;
    const state: DownloadCheckpoint = { base, path, size: found.size, ranged: found.ranged, etag: found.etag, lastModified: found.lastModified, ranges, boot: bootId(), synced: null, restarts };
    // recorded before the file exists, so a cancel from now on knows what to remove
    await ctx.progress(progressOf(state, null, null), { checkpoint: state, force: true });
    try {
      return { state, file: await PartFile.create(partPathOf(absolute), found.size) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new ValidationError(`Every name from "${base}" to "${numbered(base, MAX_NUMBERED)}" is taken`, ['path']);
}

/**
 * The transfer, with progress reported about once a second, the ranges checkpointed every few seconds
 * and the file synced to disk every few seconds (off the transfer's path). However it stops (pause, cancel, shutdown, a failure),
 * the bytes written are synced and recorded first, so the next run resumes exactly there.
 */
async function fetchReporting(ctx: RunContext<DownloadCheckpoint>, deps: FetchDeps, state: DownloadCheckpoint, plan: Plan, file: PartFile): Promise<void> {
  const meter = new SpeedMeter();
  meter.sample(bytesDone(state.ranges));
  let lastCheckpoint = performance.now();
  let lastSync = performance.now();
  let synced = state.synced;
  let syncing: Promise<void> | null = null;
  const snapshot = (): DownloadCheckpoint => ({ ...state, ranges: copyRanges(plan.ranges), synced });
  const report = async () => {
    // in the background: what survives a crash of the machine, without holding the transfer up
    if (deps.settings.fsync && !syncing && performance.now() - lastSync >= deps.settings.syncMs) {
      const before = copyRanges(plan.ranges);
      lastSync = performance.now();
      syncing = file.sync().then(
        () => void (synced = before),
        () => undefined,
      ).finally(() => (syncing = null));
    }
    const live = snapshot();
    const speed = meter.sample(bytesDone(live.ranges));
    const due = performance.now() - lastCheckpoint >= deps.settings.checkpointMs;
    if (due) lastCheckpoint = performance.now();
    await ctx.progress(progressOf(live, speed, meter.eta(live.size === null ? null : live.size - bytesDone(live.ranges))), due ? { checkpoint: live } : {});
  };

  const ticking = new AbortController();
  const ticker = (async () => {
    for (;;) {
      await sleep(deps.progressMs, undefined, { signal: ticking.signal });
      await report();
    }
  })().catch(() => undefined); // a stop it reports aborts ctx.signal, which ends the transfer
  try {
    await transfer(plan, file, { http: deps.http, budget: deps.budget, retry: retryPolicy(deps.settings), connections: deps.settings.chunks, rampMs: deps.settings.rampMs }, ctx.signal, () => undefined);
  } catch (error) {
    if (!(error instanceof FileChangedError)) {
      const written = copyRanges(plan.ranges);
      if (deps.settings.fsync) await file.sync().catch(() => undefined);
      const last = { ...state, ranges: written, synced: deps.settings.fsync ? written : synced };
      ctx.keep(progressOf(last, null, null), { checkpoint: last });
    }
    ctx.throwIfStopped();
    throw error;
  } finally {
    ticking.abort();
    await ticker;
    await syncing;
  }
}

/** Checks the length (and checksum), syncs, and moves the file to its name, numbered if that was taken meanwhile. */
async function complete(deps: FetchDeps, download: Download, state: DownloadCheckpoint, file: PartFile): Promise<DownloadProgress> {
  const written = bytesDone(state.ranges);
  const expected = state.size ?? written;
  if (deps.settings.fsync) await file.sync();
  const length = await file.size();
  await file.close();
  if (length !== expected || written !== expected) {
    await removeFile(file.path);
    throw new DownloadError('LENGTH_MISMATCH', `The file came with ${written} bytes where ${expected} were expected`);
  }
  if (download.sha256 && (await sha256Of(file.path)) !== download.sha256.toLowerCase()) {
    await removeFile(file.path);
    throw new DownloadError('CHECKSUM_MISMATCH', 'The file does not have the SHA-256 it was queued with');
  }
  const path = await moveIntoPlace(file.path, deps.settings.fsync, async function* () {
    yield { relative: state.path, absolute: await insideRoot(deps.settings.dir, state.path) };
    for (let n = 2; n <= MAX_NUMBERED; n++) {
      const relative = numbered(state.base, n);
      if (relative !== state.path) yield { relative, absolute: await insideRoot(deps.settings.dir, relative) };
    }
  });
  deps.log.info({ downloadId: download.id, bytes: expected, restarts: state.restarts }, 'download completed');
  return { ...progressOf({ ...state, path }, null, 0), bytesTotal: expected };
}

export function progressOf(state: DownloadCheckpoint, speedBps: number | null, etaSeconds: number | null): DownloadProgress {
  return {
    path: state.path,
    bytesTotal: state.size,
    bytesDone: bytesDone(state.ranges),
    speedBps,
    etaSeconds,
    // a stream of unknown length ends where it has got to
    chunks: state.ranges.map((r) => ({ start: r.start, end: Number.isFinite(r.end) ? r.end : r.start + r.done, done: r.done })),
  };
}

/** This boot of the machine: Linux's boot id, else the boot instant to the minute. */
function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return String(Math.round((Date.now() / 1000 - uptime()) / 60));
  }
}

const retryPolicy = (settings: DownloadSettings) => ({
  tries: settings.rangeTries,
  retryBaseMs: settings.retryBaseMs,
  retryMaxMs: settings.retryMaxMs,
  maxRetryAfterMs: settings.maxRetryAfterMs,
});
