import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import ValidationPlugin from '@pothos/plugin-validation';
import type { FileUpload } from 'graphql-upload-minimal';
import type PrismaTypes from '../generated/pothos-types.js';
import { getDatamodel } from '../generated/pothos-types.js';
import { ValidationError } from '../services/errors.js';
import type { Context } from './context.js';
import { authorizationError } from './auth-errors.js';
import './node-ids.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  AuthScopes: { viewer: boolean; public: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
    Upload: { Input: Promise<FileUpload>; Output: never };
  };
  DefaultFieldNullability: false;
}>({
  defaultFieldNullability: false,
  // syncNodeIds last: it replaces relay's async `id` resolvers before any other plugin wraps them
  plugins: [ScopeAuthPlugin, ErrorsPlugin, ValidationPlugin, PrismaPlugin, RelayPlugin, DataloaderPlugin, 'syncNodeIds'],
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      viewer: ctx.viewer !== null,
      public: ctx.config.authMode !== 'all' || ctx.viewer !== null,
    }),
    unauthorizedError: (_parent, ctx) => authorizationError(ctx),
  },
  errors: { defaultTypes: [] },
  validation: {
    validationError: (failure) => {
      const issue = failure.issues[0];
      const path = (issue?.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p));
      return new ValidationError(issue?.message ?? 'Invalid input', path);
    },
  },
  prisma: {
    client: (ctx) => ctx.prisma,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === 'production' ? null : 'error',
  },
  relay: { clientMutationId: 'omit', cursorType: 'String' },
});

/** The builder's own type parameters, for helpers that take or return its refs. */
export type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer Types> ? Types : never;
