import { ApiTokenScope } from '../schema/enums.js';
import { AuthResult, CreateApiTokenResult, RevokeApiTokenResult, UserType } from '../schema/accounts.js';
import { builder } from '../schema/builder.js';
import { decodeId } from '../schema/ids.js';
import { requireViewer } from './viewer.js';

builder.queryField('me', (t) =>
  t.field({
    type: UserType,
    nullable: true,
    skipTypeScopes: true,
    description: 'the person asking; null when anonymous',
    // the viewer's row came with authentication; a relation asked of it is loaded by its own field (a plain field
    // spares every request the mapping of its selection into a Prisma query, which only relations would use)
    resolve: (_root, _args, ctx) => ctx.viewer?.user ?? null,
  }),
);

builder.mutationFields((t) => ({
  signUp: t.field({
    type: AuthResult,
    skipTypeScopes: true,
    args: {
      email: t.arg.string({ required: true }),
      password: t.arg.string({ required: true }),
      displayName: t.arg.string(),
    },
    resolve: async (_root, args, ctx) => {
      const signedIn = await ctx.services.accounts.signUp(args);
      await ctx.sessionCookie.set(signedIn.token, signedIn.expiresAt);
      return signedIn;
    },
  }),
  logIn: t.field({
    type: AuthResult,
    skipTypeScopes: true,
    description: 'answers a token and sets the session cookie',
    args: { email: t.arg.string({ required: true }), password: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const signedIn = await ctx.services.accounts.logIn(args, ctx.client);
      await ctx.sessionCookie.set(signedIn.token, signedIn.expiresAt);
      return signedIn;
    },
  }),
  logOut: t.boolean({
    skipTypeScopes: true,
    description: 'ends the session that made this request; false when there was none',
    resolve: async (_root, _args, ctx) => {
      const ended = await ctx.services.accounts.logOut(ctx.viewer);
      await ctx.sessionCookie.clear();
      return ended;
    },
  }),
  createApiToken: t.field({
    type: CreateApiTokenResult,
    args: {
      name: t.arg.string({ required: true }),
      scope: t.arg({ type: ApiTokenScope, required: true }),
    },
    resolve: (_root, args, ctx) => ctx.services.accounts.createApiToken(requireViewer(ctx), args),
  }),
  revokeApiToken: t.field({
    type: RevokeApiTokenResult,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = decodeId(String(args.id), 'ApiToken');
      const revoked = await ctx.services.accounts.revokeApiToken(requireViewer(ctx), id);
      return { apiTokenId: revoked.id };
    },
  }),
}));
