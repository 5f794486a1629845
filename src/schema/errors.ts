import type { ObjectRef, UnionRef } from '@pothos/core';
import {
  ConflictError,
  DomainError,
  InvalidCredentialsError,
  NotFoundError,
  SignUpClosedError,
  TooManyAttemptsError,
  UploadTooLargeError,
  UpstreamError,
  ValidationError,
} from '../services/errors.js';
import { builder, type BuilderTypes } from './builder.js';

/** Every expected failure: a machine-readable code, a sentence for people, and the input field at fault. */
export const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
  fields: (t) => ({
    code: t.exposeString('code'),
    message: t.exposeString('message'),
    path: t.exposeStringList('path', { description: 'the input field at fault, when there is one' }),
  }),
});

const simpleErrors = [
  [ValidationError, 'ValidationError'],
  [NotFoundError, 'NotFoundError'],
  [ConflictError, 'ConflictError'],
  [InvalidCredentialsError, 'InvalidCredentialsError'],
  [SignUpClosedError, 'SignUpClosedError'],
] as const;

for (const [errorClass, name] of simpleErrors) {
  builder.objectType(errorClass, { name, interfaces: [ErrorInterface], isTypeOf: (v) => v instanceof errorClass });
}

builder.objectType(TooManyAttemptsError, {
  name: 'TooManyAttemptsError',
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof TooManyAttemptsError,
  fields: (t) => ({ retryAfterSeconds: t.exposeInt('retryAfterSeconds') }),
});

builder.objectType(UploadTooLargeError, {
  name: 'UploadTooLargeError',
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof UploadTooLargeError,
  fields: (t) => ({ maxBytes: t.exposeFloat('maxBytes') }),
});

builder.objectType(UpstreamError, {
  name: 'UpstreamError',
  description: 'A service Klug talks to (TMDB, a media server, an IPTV provider) refused or failed',
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof UpstreamError,
  fields: (t) => ({
    service: t.exposeString('service'),
    setting: t.exposeString('setting', { nullable: true, description: 'the setting the server owner should check' }),
  }),
});

type ErrorClass = new (...args: never[]) => DomainError;

/**
 * A mutation's result: its success type or one of the expected errors. Thrown or returned domain errors of
 * the listed classes become members; anything else that is not an error is the success.
 */
export function resultUnion<T extends object>(name: string, success: ObjectRef<BuilderTypes, T>, errors: ErrorClass[]) {
  return builder.errorUnion(name, {
    types: [success, ...errors],
    resolveType: () => success.name,
  }) as unknown as UnionRef<BuilderTypes, T | DomainError, T | DomainError>;
}

const DeleteSuccess = builder.objectRef<{ deletedId: string }>('DeleteSuccess').implement({
  fields: (t) => ({ deletedId: t.exposeID('deletedId') }),
});

/** The result of every delete mutation. */
export const DeleteResult = resultUnion('DeleteResult', DeleteSuccess, [NotFoundError]);
