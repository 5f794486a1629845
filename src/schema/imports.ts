import type { StagedFile } from '../services/imports/records.js';
import { ImportFileError, NotFoundError, UploadTooLargeError, ValidationError } from '../services/errors.js';
import { builder } from './builder.js';
import { ErrorInterface, resultUnion } from './errors.js';
import { asUuid, NO_MATCH } from './ids.js';
import { successPayload } from './payloads.js';

export const ImportSourceEnum = builder.enumType('ImportSource', { values: ['LETTERBOXD', 'TRAKT', 'KLUG_JSON', 'KLUG_CSV'] as const });
export const ImportModeEnum = builder.enumType('ImportMode', {
  values: {
    APPEND: { description: 'add events; one already present for the same item and instant counts as a duplicate' },
    UPSERT: { description: 'add events; update the rating, tags and review of those already present' },
    REPLACE: { description: "replace, in one transaction, all the person's events from this source" },
  } as const,
});
export const ImportStatusEnum = builder.enumType('ImportStatus', {
  values: ['QUEUED', 'PROCESSING', 'ENRICHING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const,
});

builder.objectType(ImportFileError, {
  name: 'ImportFileError',
  description: 'an uploaded file that cannot be imported at all; nothing was written',
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof ImportFileError,
  fields: (t) => ({ file: t.exposeString('file') }),
});

const ImportFileType = builder.objectRef<StagedFile>('ImportFile').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    kind: t.exposeString('kind', { description: 'CSV, JSON or ZIP, judged by content' }),
    bytes: t.exposeFloat('bytes'),
    rows: t.exposeInt('rows', { nullable: true, description: 'CSV data rows (an estimate until the batch ends)' }),
  }),
});

export const ImportErrorType = builder.prismaObject('ImportError', {
  fields: (t) => ({
    file: t.exposeString('file'),
    row: t.exposeInt('row', { description: 'as in a spreadsheet (header is row 1); JSON: the item number' }),
    field: t.exposeString('field', { nullable: true }),
    code: t.exposeString('code'),
    message: t.exposeString('message'),
    raw: t.exposeString('raw', { nullable: true }),
  }),
});

export const ImportBatchType = builder.prismaNode('ImportBatch', {
  nullable: true,
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id: asUuid(id), userId: ctx.viewer?.user.id ?? NO_MATCH }),
  fields: (t) => ({
    source: t.expose('source', { type: ImportSourceEnum }),
    mode: t.expose('mode', { type: ImportModeEnum }),
    dryRun: t.exposeBoolean('dryRun'),
    resumeFromLatest: t.exposeBoolean('resumeFromLatest'),
    status: t.expose('status', { type: ImportStatusEnum }),
    totalRows: t.exposeInt('totalRows'),
    processedRows: t.exposeInt('processedRows'),
    insertedCount: t.exposeInt('insertedCount'),
    duplicateCount: t.exposeInt('duplicateCount'),
    updatedCount: t.exposeInt('updatedCount', { description: 'UPSERT: events present whose rating, tags or review changed' }),
    skippedCount: t.exposeInt('skippedCount', { description: 'resumeFromLatest: events not newer than cursorBefore' }),
    errorCount: t.exposeInt('errorCount'),
    enrichedCount: t.exposeInt('enrichedCount'),
    progress: t.float({
      description: '0..1',
      select: { processedRows: true, totalRows: true, status: true },
      resolve: (b) => (b.status === 'COMPLETED' ? 1 : b.totalRows > 0 ? Math.min(1, b.processedRows / b.totalRows) : 0),
    }),
    cursorBefore: t.expose('cursorBefore', { type: 'DateTime', nullable: true }),
    cursorAfter: t.expose('cursorAfter', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    errorMessage: t.exposeString('errorMessage', { nullable: true }),
    files: t.field({
      type: [ImportFileType],
      select: { files: true },
      resolve: (b) => (b.files as unknown as StagedFile[]).map(({ name, kind, bytes, rows }) => ({ name, kind, bytes, rows, path: '' })),
    }),
    errors: t.relatedConnection('errors', { cursor: 'id', query: { orderBy: { id: 'asc' } } }),
    errorsCsvUrl: t.string({
      description: 'every stored error as CSV (send the same Authorization)',
      select: { id: true },
      resolve: (b, _args, ctx) => `${ctx.publicOrigin}/imports/${b.id}/errors.csv`,
    }),
    errorsJsonUrl: t.string({
      select: { id: true },
      resolve: (b, _args, ctx) => `${ctx.publicOrigin}/imports/${b.id}/errors.json`,
    }),
  }),
});

export const StartImportInput = builder.inputType('StartImportInput', {
  fields: (t) => ({
    source: t.field({ type: ImportSourceEnum, description: 'required unless reuseSettingsFrom names an earlier batch' }),
    files: t.field({ type: ['Upload'], required: true, description: 'CSV, JSON or a ZIP of them' }),
    mode: t.field({ type: ImportModeEnum, description: 'APPEND by default' }),
    dryRun: t.boolean({ description: 'parse and validate; write nothing but the batch and its errors' }),
    resumeFromLatest: t.boolean({ description: "only events newer than the last completed batch's cursorAfter" }),
    reuseSettingsFrom: t.id({ description: 'copy source, mode and flags from this earlier batch where left out' }),
  }),
});

const BatchSuccess = (name: string) =>
  successPayload(name, { field: 'batch', model: 'ImportBatch', id: (result: { batchId: string }) => result.batchId });

export const StartImportResult = resultUnion('StartImportResult', BatchSuccess('StartImportSuccess'), [
  ValidationError,
  NotFoundError,
  ImportFileError,
  UploadTooLargeError,
]);
export const CancelImportResult = resultUnion('CancelImportResult', BatchSuccess('CancelImportSuccess'), [NotFoundError, ValidationError]);
