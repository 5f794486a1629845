import type { AccountEvent } from '../services/events.js';
import type { UploadSummary } from '../services/uploads.js';
import { UploadTooLargeError, ValidationError } from '../services/errors.js';
import { builder } from './builder.js';
import { AccountEventKind, FileKind } from './enums.js';
import { resultUnion } from './errors.js';

export const AuthModeEnum = builder.enumType('AuthMode', {
  values: { ALL: { value: 'all' }, WRITE: { value: 'write' }, DISABLED: { value: 'disabled' } } as const,
});

export const ServerInfo = builder
  .objectRef<{ version: string; authMode: 'all' | 'write' | 'disabled'; signUpOpen: boolean; uploadMaxBytes: number; enrichmentEnabled: boolean }>(
    'ServerInfo',
  )
  .implement({
    fields: (t) => ({
      version: t.exposeString('version'),
      authMode: t.expose('authMode', { type: AuthModeEnum }),
      signUpOpen: t.exposeBoolean('signUpOpen'),
      uploadMaxBytes: t.exposeFloat('uploadMaxBytes'),
      enrichmentEnabled: t.exposeBoolean('enrichmentEnabled', {
        description: 'whether items get TMDB metadata and artwork (KLUG_TMDB_API_KEY or KLUG_TMDB_TOKEN set)',
      }),
    }),
  });

export const AccountEventType = builder.objectRef<AccountEvent>('AccountEvent').implement({
  description: "Something that happened to the viewer's account: a log-in elsewhere, a token created or revoked",
  fields: (t) => ({
    kind: t.expose('kind', { type: AccountEventKind }),
    at: t.expose('at', { type: 'DateTime' }),
    subjectId: t.exposeID('subjectId', { description: 'the session or API token concerned (raw id)' }),
  }),
});

const InspectUploadSuccess = builder.objectRef<UploadSummary>('InspectUploadSuccess').implement({
  description: 'What an upload is, judged by its content; nothing is stored',
  fields: (t) => ({
    filename: t.exposeString('filename'),
    mimetype: t.exposeString('mimetype'),
    bytes: t.exposeFloat('bytes'),
    sha256: t.exposeString('sha256'),
    kind: t.expose('kind', { type: FileKind }),
  }),
});

export const InspectUploadResult = resultUnion('InspectUploadResult', InspectUploadSuccess, [
  UploadTooLargeError,
  ValidationError,
]);
