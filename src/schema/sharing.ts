import type { ShareLink } from '../generated/prisma/client.js';
import { NotFoundError, ValidationError } from '../services/errors.js';
import { builder } from './builder.js';
import { resultUnion } from './errors.js';
import { asUuid, NO_MATCH } from './ids.js';
import { successPayload } from './payloads.js';

export const ShareLinkType = builder.prismaNode('ShareLink', {
  nullable: true,
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id: asUuid(id), userId: ctx.viewer?.user.id ?? NO_MATCH }),
  fields: (t) => ({
    prefix: t.exposeString('prefix', { description: 'the first characters of the token, to recognise it' }),
    ttlDays: t.exposeInt('ttlDays', { description: 'the link lives this many days from its last use' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

const CreateShareLinkSuccess = successPayload('CreateShareLinkSuccess', {
  field: 'shareLink',
  model: 'ShareLink',
  id: (result: { link: ShareLink; token: string; url: string }) => result.link.id,
  fields: (t) => ({
    token: t.exposeString('token', { description: 'shown once; query `sharedHistory(token:)` with it' }),
    url: t.exposeString('url', { description: 'a read-only JSON summary anyone with the link can open' }),
  }),
});

export const CreateShareLinkResult = resultUnion('CreateShareLinkResult', CreateShareLinkSuccess, [ValidationError]);

const RevokeShareLinkSuccess = successPayload('RevokeShareLinkSuccess', {
  field: 'shareLink',
  model: 'ShareLink',
  id: (result: { id: string }) => result.id,
});

export const RevokeShareLinkResult = resultUnion('RevokeShareLinkResult', RevokeShareLinkSuccess, [NotFoundError]);

/**
 * The read-only view a share link opens: that person's watch history and stats, nothing else
 * (resolvers/sharing.ts adds those two fields, the same as the viewer's own).
 */
export const SharedHistoryType = builder
  .objectRef<{ userId: string; displayName: string | null }>('SharedHistory')
  .implement({ fields: (t) => ({ displayName: t.exposeString('displayName', { nullable: true }) }) });
