import type { Context } from '../schema/context.js';
import { authorizationError } from '../schema/auth-errors.js';
import type { Viewer } from '../services/viewer.js';

/** For fields whose scopes already demand a viewer: narrows the type, and guards if a scope is ever dropped. */
export function requireViewer(ctx: Context): Viewer {
  if (!ctx.viewer) throw authorizationError(ctx);
  return ctx.viewer;
}
