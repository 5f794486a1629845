import { builder } from './builder.js';

// Everything needs a viewer unless a field says otherwise; READ tokens are kept from mutations for the whole operation by server/plugins/read-only-tokens.ts.
builder.queryType({ authScopes: { viewer: true } });
builder.mutationType({ authScopes: { viewer: true } });
builder.subscriptionType({ authScopes: { viewer: true } });
