import { builder } from '../schema/builder.js';
import { AccountEventType, InspectUploadResult, ServerInfo } from '../schema/system.js';
import { inspectUpload } from '../services/uploads.js';
import { KLUG_VERSION } from '../version.js';
import { requireViewer } from './viewer.js';

builder.queryField('serverInfo', (t) =>
  t.field({
    type: ServerInfo,
    skipTypeScopes: true,
    authScopes: { public: true },
    description: 'what a client needs before logging in; anonymous unless KLUG_AUTH_MODE=all',
    resolve: (_root, _args, ctx) => ({
      version: KLUG_VERSION,
      authMode: ctx.config.authMode,
      signUpOpen: ctx.config.allowSignUp,
      uploadMaxBytes: ctx.config.uploadMaxBytes,
      enrichmentEnabled: ctx.services.metadata.enabled,
    }),
  }),
);

builder.mutationField('inspectUpload', (t) =>
  t.field({
    type: InspectUploadResult,
    description: 'reads a file within the upload limit and says what it is (CSV, JSON, ZIP), storing nothing',
    args: { file: t.arg({ type: 'Upload', required: true }) },
    resolve: async (_root, args, ctx) => inspectUpload(await args.file, ctx.config.uploadMaxBytes, ['file']),
  }),
);

builder.subscriptionField('accountEvents', (t) =>
  t.field({
    type: AccountEventType,
    description: "the viewer's own account events, as they happen",
    subscribe: (_root, _args, ctx) => ctx.pubsub.subscribe('account:event', requireViewer(ctx).user.id),
    resolve: (event) => event,
  }),
);
