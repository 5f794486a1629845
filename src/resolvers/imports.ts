import type { ImportBatch } from '../generated/prisma/client.js';
import { builder } from '../schema/builder.js';
import { decodeId } from '../schema/ids.js';
import { CancelImportResult, ImportBatchType, ImportStatusEnum, StartImportInput, StartImportResult } from '../schema/imports.js';
import { runChanges, sharedState } from './run-changes.js';
import { requireViewer } from './viewer.js';

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

builder.mutationFields((t) => ({
  startImport: t.field({
    type: StartImportResult,
    description: 'checks the files, records the batch and queues it; follow it with importProgress or importBatches',
    args: { input: t.arg({ type: StartImportInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const batch = await ctx.services.imports.start(requireViewer(ctx).user.id, {
        ...input,
        reuseSettingsFrom: input.reuseSettingsFrom == null ? null : decodeId(String(input.reuseSettingsFrom), 'ImportBatch', 'reuseSettingsFrom'),
      });
      return { batchId: batch.id };
    },
  }),
  cancelImport: t.field({
    type: CancelImportResult,
    description: 'stops a queued or running import; what it wrote is removed (REPLACE rolls back)',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const batch = await ctx.services.imports.cancel(requireViewer(ctx).user.id, decodeId(String(args.id), 'ImportBatch'));
      return { batchId: batch.id };
    },
  }),
}));

builder.queryField('importBatches', (t) =>
  t.prismaConnection({
    type: 'ImportBatch',
    cursor: 'id',
    description: 'newest first',
    args: { status: t.arg({ type: [ImportStatusEnum] }) },
    resolve: (query, _root, args, ctx) => ctx.services.imports.list(requireViewer(ctx).user.id, { status: args.status }, query),
  }),
);

builder.subscriptionField('importProgress', (t) =>
  t.field({
    extensions: sharedState('status'),
    type: ImportBatchType,
    description: 'the batch now, then on every state change and about once a second while it runs; ends with it',
    args: { batchId: t.arg.id({ required: true }) },
    subscribe: (_root, args, ctx) => {
      const userId = requireViewer(ctx).user.id;
      const id = decodeId(String(args.batchId), 'ImportBatch', 'batchId');
      return runChanges<ImportBatch>(ctx, id, () => ctx.services.imports.require(userId, id), (batch) => TERMINAL.has(batch.status));
    },
    resolve: (batch) => batch,
  }),
);
