import { describe, expect, it } from 'vitest';
import { SecretBox } from '../src/services/secret-box.js';

const KEY = 'a'.repeat(64);
const PLAINTEXT = 'Pässwörd 🔑 — ключ 秘密';

/** Replaces one base64url character well inside the payload (never the last, whose low bits may be unused). */
function tamper(sealed: string, index: number): string {
  const at = 'v1:'.length + index;
  const replacement = sealed[at] === 'A' ? 'B' : 'A';
  return sealed.slice(0, at) + replacement + sealed.slice(at + 1);
}

describe('SecretBox', () => {
  it('round-trips unicode text', () => {
    const box = new SecretBox(KEY);
    expect(box.decrypt(box.encrypt(PLAINTEXT))).toBe(PLAINTEXT);
    expect(box.decrypt(box.encrypt(''))).toBe('');
  });

  it('decrypts with a second box made from the same key', () => {
    expect(new SecretBox(KEY).decrypt(new SecretBox(KEY).encrypt(PLAINTEXT))).toBe(PLAINTEXT);
  });

  it('produces a different ciphertext each time', () => {
    const box = new SecretBox(KEY);
    expect(box.encrypt(PLAINTEXT)).not.toBe(box.encrypt(PLAINTEXT));
  });

  it('marks the version and does not reveal the plaintext', () => {
    const plaintext = 'super-secret-api-key';
    const sealed = new SecretBox(KEY).encrypt(plaintext);

    expect(sealed.startsWith('v1:')).toBe(true);
    expect(sealed).not.toContain(plaintext);
    expect(Buffer.from(sealed.slice(3), 'base64url').toString('utf8')).not.toContain(plaintext);
  });

  it('cannot be decrypted with a different key', () => {
    const sealed = new SecretBox(KEY).encrypt(PLAINTEXT);
    expect(() => new SecretBox('b'.repeat(64)).decrypt(sealed)).toThrow();
  });

  it('refuses a tampered ciphertext', () => {
    const box = new SecretBox(KEY);
    const sealed = box.encrypt('a secret long enough to have a body');
    // iv is payload chars 0-15, the tag 16-37, the encrypted body after
    for (const index of [5, 20, 45]) {
      const tampered = tamper(sealed, index);
      expect(tampered).not.toBe(sealed);
      expect(() => box.decrypt(tampered)).toThrow();
    }
  });

  it('refuses garbage', () => {
    const box = new SecretBox(KEY);
    for (const garbage of ['', 'not encrypted at all', 'v1:', 'v1:abcd', 'v2:' + box.encrypt('x').slice(3)]) {
      expect(() => box.decrypt(garbage)).toThrow();
    }
  });
});
