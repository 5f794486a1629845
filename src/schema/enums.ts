import { builder } from './builder.js';

export const ApiTokenScope = builder.enumType('TokenScope', {
  values: {
    READ: { description: 'queries and subscriptions only' },
    WRITE: { description: 'everything the person can do' },
  },
});

export const AccountEventKind = builder.enumType('AccountEventKind', {
  values: ['LOGGED_IN', 'LOGGED_OUT', 'API_TOKEN_CREATED', 'API_TOKEN_REVOKED'] as const,
});

export const FileKind = builder.enumType('FileKind', {
  values: ['CSV', 'JSON', 'ZIP', 'UNKNOWN'] as const,
});
