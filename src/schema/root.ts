import { builder } from './builder.js';

// Every field needs a viewer unless it says otherwise. READ tokens are kept from mutations for the
// whole operation by server/plugins/read-only-tokens.ts.
builder.queryType({ authScopes: { viewer: true } });
builder.mutationType({ authScopes: { viewer: true } });
builder.subscriptionType({ authScopes: { viewer: true } });
