import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ImportBatch, ImportError, ImportMode, ImportSource, ImportStatus, Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { dataLayout } from '../../data-dir.js';
import { uuid7 } from '../../db/uuid7.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { IncomingFile } from '../uploads.js';
import { listEntries, removeStaging, stageUpload } from './files.js';
import type { StagedFile } from './records.js';
import { SOURCES } from './sources/index.js';

export const MAX_FILES_PER_IMPORT = 20;

export interface StartImportInput {
  source?: ImportSource | null;
  files: Promise<IncomingFile>[];
  mode?: ImportMode | null;
  dryRun?: boolean | null;
  resumeFromLatest?: boolean | null;
  /** copy source, mode and flags from this earlier batch where the input leaves them out */
  reuseSettingsFrom?: string | null;
}

export interface ImportsDeps {
  prisma: PrismaClient;
  dataDir: string;
  uploadMaxBytes: number;
  runs: ImportRuns;
}

/** How imports reach the runs mechanism (src/jobs), which carries each batch as a run. */
export interface ImportRuns {
  /** queues a run for the batch, kept on this replica, whose disk holds the files */
  enqueue(batch: ImportBatch): Promise<void>;
  /** ends the batch's run for good; answers once it is over, or asked to be when another replica holds it */
  cancel(batchId: string): Promise<void>;
}

const ACTIVE = ['QUEUED', 'PROCESSING', 'ENRICHING'] as const;

/** The page and selection a caller (GraphQL's connection) adds to a list; the service owns where and order. */
type BatchQuery = Pick<Prisma.ImportBatchFindManyArgs, 'select' | 'include' | 'take' | 'skip' | 'cursor'>;

export class ImportService {
  constructor(private readonly deps: ImportsDeps) {}

  stagingDir(batchId: string): string {
    return join(dataLayout(this.deps.dataDir).imports, batchId);
  }

  /**
   * Stages the uploads and checks them (kind by content, encoding, archive contents, the source's
   * files and columns) before anything is written; then records the batch and queues it.
   */
  async start(userId: string, input: StartImportInput): Promise<ImportBatch> {
    const { prisma, uploadMaxBytes } = this.deps;
    const earlier = input.reuseSettingsFrom
      ? await prisma.importBatch.findFirst({ where: { id: input.reuseSettingsFrom, userId } })
      : null;
    if (input.reuseSettingsFrom && !earlier) throw new NotFoundError('No import with this id', ['reuseSettingsFrom']);
    const source = input.source ?? earlier?.source;
    if (!source) throw new ValidationError('Say which source the files come from', ['source']);
    if (input.files.length === 0) throw new ValidationError('Upload at least one file', ['files']);
    if (input.files.length > MAX_FILES_PER_IMPORT) {
      throw new ValidationError(`At most ${MAX_FILES_PER_IMPORT} files per import`, ['files']);
    }
    const mode = input.mode ?? earlier?.mode ?? 'APPEND';
    const dryRun = input.dryRun ?? earlier?.dryRun ?? false;
    const resumeFromLatest = input.resumeFromLatest ?? earlier?.resumeFromLatest ?? false;

    const id = uuid7();
    const dir = this.stagingDir(id);
    try {
      const staged: StagedFile[] = [];
      for (const [index, upload] of input.files.entries()) staged.push(await stageUpload(await upload, dir, index, uploadMaxBytes));
      await SOURCES[source].check(await listEntries(staged, uploadMaxBytes));
      const cursorBefore = resumeFromLatest ? await this.latestCursor(userId, source) : null;
      const batch = await prisma.importBatch.create({
        data: {
          id,
          userId,
          source,
          mode,
          dryRun,
          resumeFromLatest,
          cursorBefore,
          totalRows: staged.reduce((sum, f) => sum + (f.rows ?? 0), 0),
          files: staged as never,
        },
      });
      try {
        await this.deps.runs.enqueue(batch);
      } catch (error) {
        await prisma.importBatch.delete({ where: { id } });
        throw error;
      }
      return batch;
    } catch (error) {
      await removeStaging(dir);
      throw error;
    }
  }

  /** Asks a queued or running batch to stop; it ends CANCELLED and its events are removed. */
  async cancel(userId: string, id: string): Promise<ImportBatch> {
    const batch = await this.require(userId, id);
    if (!(ACTIVE as readonly string[]).includes(batch.status)) {
      throw new ValidationError(`The import is already ${batch.status.toLowerCase()}`, ['id']);
    }
    await this.deps.runs.cancel(id);
    return this.require(userId, id);
  }

  /** The person's batches, newest first, of the given statuses when there are any. */
  list(userId: string, filter: { status?: ImportStatus[] | null }, query: BatchQuery = {}): Promise<ImportBatch[]> {
    return this.deps.prisma.importBatch.findMany({
      ...query,
      where: { userId, ...(filter.status?.length ? { status: { in: filter.status } } : {}) },
      orderBy: { id: 'desc' },
    }) as Promise<ImportBatch[]>;
  }

  async require(userId: string, id: string): Promise<ImportBatch> {
    const batch = await this.deps.prisma.importBatch.findFirst({ where: { id, userId } });
    if (!batch) throw new NotFoundError('No import with this id', ['id']);
    return batch;
  }

  /**
   * The batch's stored errors, page by page in row order, for downloads of any size. The batch must be the
   * person's: NotFoundError otherwise, before the first page.
   */
  async errorPages(userId: string, id: string, size = 1000): Promise<AsyncGenerator<ImportError[]>> {
    const batch = await this.require(userId, id);
    const { prisma } = this.deps;
    return (async function* () {
      for (let cursor: string | undefined; ; ) {
        const page = await prisma.importError.findMany({
          where: { batchId: batch.id, ...(cursor ? { id: { gt: cursor } } : {}) },
          orderBy: { id: 'asc' },
          take: size,
        });
        yield page;
        if (page.length < size) return;
        cursor = page.at(-1)!.id;
      }
    })();
  }

  /** The newest event instant of the person's last completed (real) import of this source. */
  private async latestCursor(userId: string, source: ImportSource): Promise<Date | null> {
    const last = await this.deps.prisma.importBatch.findFirst({
      where: { userId, source, status: 'COMPLETED', dryRun: false },
      orderBy: { id: 'desc' },
      select: { cursorAfter: true },
    });
    return last?.cursorAfter ?? null;
  }

  /** Batches recorded by a server that stopped before it could queue them: nobody will ever run them. */
  async failUnqueued(): Promise<number> {
    return this.deps.prisma.$executeRaw`
      UPDATE "ImportBatch" b SET status = 'FAILED', "finishedAt" = now(),
        "errorMessage" = 'the server stopped before the import was queued; start it again'
      WHERE b.status IN ('QUEUED', 'PROCESSING', 'ENRICHING')
        AND NOT EXISTS (SELECT 1 FROM "Run" r WHERE r."subjectId" = b.id AND r.kind = 'import')`;
  }

  hasStagedFiles(batch: ImportBatch): boolean {
    return (batch.files as unknown as StagedFile[]).every((f) => existsSync(f.path));
  }
}
