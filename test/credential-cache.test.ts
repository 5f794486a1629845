import { describe, expect, it } from 'vitest';
import { CredentialCache } from '../src/services/accounts/credential-cache.js';
import type { Viewer } from '../src/services/viewer.js';

const viewer = (credentialId: string) => ({ user: { id: 'u' }, scope: 'WRITE', via: 'session', credentialId }) as unknown as Viewer;
const entry = (credentialId: string, cachedAt: number, expiresAt: number | null = null) => ({ viewer: viewer(credentialId), cachedAt, expiresAt, touchedAt: cachedAt });

describe('CredentialCache', () => {
  it('answers an entry until it is older than the ttl or its session expires', () => {
    const cache = new CredentialCache(60_000);
    cache.set('a', entry('s1', 1_000));
    cache.set('b', entry('s2', 1_000, 5_000));
    expect(cache.get('a', 61_000)?.viewer.credentialId).toBe('s1');
    expect(cache.get('a', 61_001)).toBeUndefined();
    expect(cache.get('b', 4_999)?.viewer.credentialId).toBe('s2');
    expect(cache.get('b', 5_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops every entry of an ended credential, and the oldest beyond its size', () => {
    const cache = new CredentialCache(60_000, 2);
    cache.set('a', entry('s1', 0));
    cache.set('a2', entry('s1', 0));
    cache.dropCredential('s1');
    expect(cache.size).toBe(0);
    cache.set('x', entry('s1', 0));
    cache.set('y', entry('s2', 0));
    cache.set('z', entry('s3', 0));
    expect([cache.get('x', 1), cache.get('y', 1)?.viewer.credentialId, cache.get('z', 1)?.viewer.credentialId]).toEqual([undefined, 's2', 's3']);
  });

  it('keeps nothing with a ttl of 0', () => {
    const cache = new CredentialCache(0);
    cache.set('a', entry('s1', 0));
    expect(cache.get('a', 0)).toBeUndefined();
  });
});
