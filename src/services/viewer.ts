import type { TokenScope, User } from '../generated/prisma/client.js';

/** Who is asking, and with what right: resolved once per request from a session, an API token or the auth mode. */
export interface Viewer {
  user: User;
  scope: TokenScope;
  via: 'session' | 'apiToken' | 'owner';
  /** the session or API token row that authenticated this request */
  credentialId: string | null;
}

export const canWrite = (viewer: Viewer | null): boolean => viewer?.scope === 'WRITE';
