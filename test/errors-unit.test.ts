import { describe, expect, it } from 'vitest';
import { ConflictError, conflictOnUnique } from '../src/services/errors.js';

describe('conflictOnUnique', () => {
  const onTaken = conflictOnUnique('An account with this email already exists', ['email']);

  it("turns a unique-constraint violation (Prisma's P2002) into the ConflictError", async () => {
    const raced = Promise.reject(Object.assign(new Error('Unique constraint failed'), { code: 'P2002' }));
    const error = await raced.catch(onTaken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ code: 'CONFLICT', message: 'An account with this email already exists', path: ['email'] });
  });

  it('passes every other failure on unchanged', async () => {
    const broken = new Error('connection lost');
    await expect(Promise.reject(broken).catch(onTaken)).rejects.toBe(broken);
    const missing = Object.assign(new Error('no row'), { code: 'P2025' });
    await expect(Promise.reject(missing).catch(onTaken)).rejects.toBe(missing);
    await expect(Promise.reject(null).catch(onTaken)).rejects.toBeNull();
  });
});
