import { GraphQLError } from 'graphql';
import type { Viewer } from '../services/viewer.js';

/** Authentication and authorization failures are request errors (with a code), not result types. */
export function authorizationError(ctx: { viewer: Viewer | null; credentialsRejected: boolean }): GraphQLError {
  if (ctx.viewer) {
    return new GraphQLError('This token may only read; use a WRITE token or a session', {
      extensions: { code: 'FORBIDDEN' },
    });
  }
  const message = ctx.credentialsRejected
    ? 'The token is invalid, expired or revoked; log in again'
    : 'Log in first: send `Authorization: Bearer <token>`';
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED' } });
}
