import { createHash, randomBytes } from 'node:crypto';

export const SESSION_TOKEN_PREFIX = 'klug_s_';
export const API_TOKEN_PREFIX = 'klug_pat_';

/** 256 random bits; only the SHA-256 is stored, which suffices for secrets of that entropy. */
export function newToken(prefix: string): { token: string; hash: string } {
  const token = prefix + randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
