import type { Viewer } from '../viewer.js';

interface Entry {
  viewer: Viewer;
  /** when this process read it from the database */
  cachedAt: number;
  /** a session's own expiry; null for API tokens */
  expiresAt: number | null;
  /** when the credential was last recorded as used, to keep that write once per interval */
  touchedAt: number;
}

/**
 * Verified bearer tokens, per process, for a short while: most requests then authenticate without a
 * statement. Log-out and revocation drop an entry at once (on every replica, through the event bus); an
 * entry older than `ttlMs` is read again, which bounds what a lost event could leave behind.
 */
export class CredentialCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(tokenHash: string, now: number): Entry | undefined {
    const entry = this.entries.get(tokenHash);
    if (!entry) return undefined;
    if (now - entry.cachedAt > this.ttlMs || (entry.expiresAt !== null && entry.expiresAt <= now)) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    return entry;
  }

  set(tokenHash: string, entry: Entry): void {
    if (this.ttlMs <= 0) return;
    this.entries.delete(tokenHash);
    this.entries.set(tokenHash, entry);
    // a Map iterates in insertion order: the first key is the oldest entry
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  dropCredential(credentialId: string): void {
    for (const [hash, entry] of this.entries) if (entry.viewer.credentialId === credentialId) this.entries.delete(hash);
  }

  get size(): number {
    return this.entries.size;
  }
}
