import type { Download, DownloadStatus, Prisma, PrismaClient } from '../../generated/prisma/client.js';
import type { RunQueue } from '../../jobs/run-queue.js';
import { AddressRefusedError, NotFoundError, ValidationError } from '../errors.js';
import type { AddressPolicy } from './address-policy.js';
import { DOWNLOAD_RUN } from './download-runs.js';
import type { HostBudget } from './host-budget.js';
import { parseDownloadUrl, refusedHost } from './http-client.js';
import { checkTemplate, fileNameTemplate, type PathVars } from './paths.js';

export interface EnqueueDownloadInput {
  url: string;
  /** a file name for it (no folders) */
  fileName?: string | null;
  /** a path template relative to the download directory (`VOD/{language}/{title}/{title}.{ext}`) */
  path?: string | null;
  /** the SHA-256 (hex) the file must have */
  sha256?: string | null;
  /** values for the template's placeholders (IPTV knows the series, season, language…) */
  vars?: PathVars;
}

/** The page and selection GraphQL's connection adds to a list; the service owns where and order. */
type DownloadQuery = Pick<Prisma.DownloadFindManyArgs, 'select' | 'include' | 'take' | 'skip' | 'cursor'>;

const ACTIVE: DownloadStatus[] = ['QUEUED', 'DOWNLOADING', 'PAUSED'];

/** A person's downloads: queue, pause, resume, cancel and retry them. The work is the `download` run. */
export class DownloadService {
  constructor(
    private readonly deps: {
      prisma: PrismaClient;
      runs: RunQueue;
      budget: HostBudget;
      /** answers true for addresses downloads may not reach */
      refuses: AddressPolicy;
    },
  ) {}

  /** Checks the URL (http or https, not to an internal address) and the path, records the download and queues it. */
  async enqueue(userId: string, input: EnqueueDownloadInput): Promise<Download> {
    const url = parseDownloadUrl(input.url);
    if (input.fileName && input.path) throw new ValidationError('Give a file name or a path, not both', ['path']);
    const target = input.fileName ? fileNameTemplate(input.fileName) : input.path ? checkTemplate(input.path) : null;
    const sha256 = input.sha256?.trim().toLowerCase() || null;
    if (sha256 && !/^[0-9a-f]{64}$/.test(sha256)) throw new ValidationError('A SHA-256 is 64 hexadecimal digits', ['sha256']);
    const refused = await refusedHost(url, this.deps.refuses);
    if (refused) throw new AddressRefusedError(refused);
    const download = await this.deps.prisma.download.create({
      data: { userId, url: input.url.trim(), target, sha256, vars: (input.vars ?? {}) as Prisma.InputJsonValue },
    });
    try {
      await this.deps.runs.enqueue({ kind: DOWNLOAD_RUN, userId, subjectId: download.id });
    } catch (error) {
      await this.deps.prisma.download.delete({ where: { id: download.id } });
      throw error;
    }
    return download;
  }

  /** Stops a queued or running download where it is; resumeDownload goes on from there. */
  async pause(userId: string, id: string): Promise<Download> {
    await this.inStatus(userId, id, ['QUEUED', 'DOWNLOADING'], 'paused');
    await this.withRun(id, (runId) => this.deps.runs.pause(runId));
    return this.require(userId, id);
  }

  async resume(userId: string, id: string): Promise<Download> {
    await this.inStatus(userId, id, ['PAUSED'], 'resumed');
    await this.withRun(id, (runId) => this.deps.runs.resume(runId));
    return this.require(userId, id);
  }

  /** Ends a download for good and removes its `.part` file. */
  async cancel(userId: string, id: string): Promise<Download> {
    await this.inStatus(userId, id, ACTIVE, 'cancelled');
    await this.withRun(id, (runId) => this.deps.runs.cancel(runId));
    return this.require(userId, id);
  }

  /** Queues a failed or cancelled download again: a failed one resumes from what it had, a cancelled one starts over. */
  async retry(userId: string, id: string): Promise<Download> {
    const download = await this.inStatus(userId, id, ['FAILED', 'CANCELLED'], 'retried');
    const last = await this.deps.runs.latestFor(DOWNLOAD_RUN, id);
    // the row is recorded as waiting here, as enqueue records a new one (the run's mirror writes every later
    // status); one retry at a time: only the request that moves the row back to QUEUED queues a run
    const { count } = await this.deps.prisma.download.updateMany({
      where: { id, userId, status: download.status },
      data: { status: 'QUEUED', errorMessage: null, finishedAt: null, speedBps: null, etaSeconds: null, attempts: 0, ...(download.status === 'CANCELLED' ? { bytesDone: 0, chunks: [] } : {}) },
    });
    if (count === 1) {
      const checkpoint = download.status === 'FAILED' ? last?.checkpoint : null;
      await this.deps.runs.enqueue({ kind: DOWNLOAD_RUN, userId, subjectId: id, checkpoint, progress: download.status === 'FAILED' ? (last?.progress ?? {}) : {} });
    }
    return this.require(userId, id);
  }

  async require(userId: string, id: string): Promise<Download> {
    const download = await this.deps.prisma.download.findFirst({ where: { id, userId } });
    if (!download) throw new NotFoundError('No download with this id', ['id']);
    return download;
  }

  /** The person's downloads, newest first, of the given statuses when there are any. */
  list(userId: string, filter: { status?: DownloadStatus[] | null }, query: DownloadQuery = {}): Promise<Download[]> {
    return this.deps.prisma.download.findMany({
      ...query,
      where: { userId, ...(filter.status?.length ? { status: { in: filter.status } } : {}) },
      orderBy: { id: 'desc' },
    }) as Promise<Download[]>;
  }

  /** The person's downloads still going (for a subscription's first answers). */
  active(userId: string): Promise<Download[]> {
    return this.list(userId, { status: ACTIVE });
  }

  /** Connections allowed to one host at once, for every download of this process (null: the default). */
  setHostLimit(host: string, limit: number | null): void {
    this.deps.budget.setHostLimit(host, limit);
  }

  /** Downloads recorded by a server that stopped before it could queue them: nobody will ever run them. */
  async failUnqueued(): Promise<number> {
    return this.deps.prisma.$executeRaw`
      UPDATE "Download" d SET status = 'FAILED', "finishedAt" = now(),
        "errorMessage" = 'the server stopped before the download was queued; retry it'
      WHERE d.status IN ('QUEUED', 'DOWNLOADING', 'PAUSED')
        AND NOT EXISTS (SELECT 1 FROM "Run" r WHERE r."subjectId" = d.id AND r.kind = ${DOWNLOAD_RUN})`;
  }

  private async inStatus(userId: string, id: string, allowed: DownloadStatus[], verb: string): Promise<Download> {
    const download = await this.require(userId, id);
    if (!allowed.includes(download.status)) throw new ValidationError(`A download that is ${download.status.toLowerCase()} cannot be ${verb}`, ['id']);
    return download;
  }

  private async withRun(id: string, change: (runId: string) => Promise<unknown>): Promise<void> {
    const run = await this.deps.runs.latestFor(DOWNLOAD_RUN, id);
    if (run) await change(run.id);
  }
}
