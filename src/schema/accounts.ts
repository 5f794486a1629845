import { ApiTokenScope } from './enums.js';
import { builder } from './builder.js';
import { resultUnion } from './errors.js';
import { asUuid, NO_MATCH } from './ids.js';
import { successPayload } from './payloads.js';
import {
  ConflictError,
  InvalidCredentialsError,
  NotFoundError,
  SignUpClosedError,
  TooManyAttemptsError,
  ValidationError,
} from '../services/errors.js';
import type { User } from '../generated/prisma/client.js';

export const UserType = builder.prismaNode('User', {
  nullable: true,
  id: { field: 'id' },
  // a person can load only themselves through `node`
  findUnique: (id, ctx) => ({ id: ctx.viewer?.user.id === id ? id : NO_MATCH }),
  fields: (t) => ({
    email: t.exposeString('email'),
    displayName: t.exposeString('displayName', { nullable: true }),
    isOwner: t.exposeBoolean('isOwner', { description: 'the first account, which administers the server' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    apiTokens: t.relatedConnection('apiTokens', {
      cursor: 'id',
      query: { orderBy: { id: 'desc' } },
      description: 'newest first; the token values themselves are never shown again',
    }),
  }),
});

export const ApiTokenType = builder.prismaNode('ApiToken', {
  nullable: true,
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id: asUuid(id), userId: ctx.viewer?.user.id ?? NO_MATCH }),
  fields: (t) => ({
    name: t.exposeString('name'),
    scope: t.expose('scope', { type: ApiTokenScope }),
    prefix: t.exposeString('prefix', { description: 'the first characters of the token, to recognise it' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
  }),
});

export const AuthSuccess = builder
  .objectRef<{ token: string; expiresAt: Date; user: User }>('AuthSuccess')
  .implement({
    fields: (t) => ({
      token: t.exposeString('token', { description: 'send as `Authorization: Bearer <token>`; shown once' }),
      expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'renewed for 30 days whenever used' }),
      user: t.field({ type: UserType, resolve: (result) => result.user }),
    }),
  });

export const AuthResult = resultUnion('AuthResult', AuthSuccess, [
  ValidationError,
  ConflictError,
  SignUpClosedError,
  InvalidCredentialsError,
  TooManyAttemptsError,
]);

const CreateApiTokenSuccess = successPayload('CreateApiTokenSuccess', {
  field: 'apiToken',
  model: 'ApiToken',
  id: (result: { token: string; apiToken: { id: string } }) => result.apiToken.id,
  fields: (t) => ({
    token: t.exposeString('token', { description: 'the secret itself: shown this once, stored only hashed' }),
  }),
});

export const CreateApiTokenResult = resultUnion('CreateApiTokenResult', CreateApiTokenSuccess, [ValidationError]);

const RevokeApiTokenSuccess = successPayload('RevokeApiTokenSuccess', {
  field: 'apiToken',
  model: 'ApiToken',
  id: (result: { apiTokenId: string }) => result.apiTokenId,
});

export const RevokeApiTokenResult = resultUnion('RevokeApiTokenResult', RevokeApiTokenSuccess, [NotFoundError]);
