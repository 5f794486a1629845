import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const POSTGRES_URL = 'postgresql://klug@db.invalid:5432/klug';
const LONG_KEY = 'k'.repeat(32);

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'klug-config-'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

describe('loadConfig', () => {
  it('has working defaults with an embedded database in the data directory', () => {
    const config = loadConfig({ KLUG_DATA_DIR: dataDir });

    expect(config.env).toBe('development');
    expect(config.port).toBe(4000);
    expect(config.authMode).toBe('all');
    expect(config.allowSignUp).toBe(true);
    expect(config.uploadMaxBytes).toBe(26_214_400);
    expect(config.dataDir).toBe(dataDir);
    expect(config.database).toEqual({ kind: 'pglite', dataDir: join(dataDir, 'pglite') });
    expect(config.introspection).toBe(true);
    expect(config.graphiql).toBe(true);
    expect(config.redisUrl).toBeUndefined();
    expect(config.limits.maxListLength).toBe(10_000);
  });

  it('reads explicit settings', () => {
    const config = loadConfig({
      KLUG_DATA_DIR: dataDir,
      PORT: '8080',
      KLUG_AUTH_MODE: 'write',
      KLUG_ALLOW_SIGNUP: 'no',
      KLUG_IMPORT_UPLOAD_MAX_MB: '2',
      KLUG_MAX_LIST_LENGTH: '500',
      DATABASE_URL: POSTGRES_URL,
      KLUG_SECRET_KEY: LONG_KEY,
      KLUG_DB_CONNECT_TIMEOUT_MS: '2500',
      KLUG_DB_QUERY_TIMEOUT_MS: '0',
    });

    expect(config.port).toBe(8080);
    expect(config.authMode).toBe('write');
    expect(config.allowSignUp).toBe(false);
    expect(config.uploadMaxBytes).toBe(2 * 1024 * 1024);
    expect(config.limits.maxListLength).toBe(500);
    expect(config.database).toEqual({ kind: 'postgres', url: POSTGRES_URL, connectTimeoutMs: 2500, queryTimeoutMs: 0 });
    expect(config.secretKey).toBe(LONG_KEY);
  });

  it('reports every problem together in one ConfigError', () => {
    const error = configError(() =>
      loadConfig({ KLUG_DATA_DIR: dataDir, PORT: 'abc', KLUG_AUTH_MODE: 'nope', DATABASE_URL: 'mysql://x' }),
    );

    expect(error.problems).toHaveLength(4);
    expect(error.problems.some((p) => p.startsWith('PORT'))).toBe(true);
    expect(error.problems.some((p) => p.startsWith('KLUG_AUTH_MODE'))).toBe(true);
    expect(error.problems.some((p) => p.startsWith('DATABASE_URL'))).toBe(true);
    expect(error.problems.some((p) => p.startsWith('KLUG_SECRET_KEY'))).toBe(true);
    expect(error.message).toContain('PORT');
    expect(error.message).toContain('KLUG_AUTH_MODE');
  });

  it('takes settings left empty, as compose files and .env templates leave them, as unset', () => {
    const config = loadConfig({
      KLUG_DATA_DIR: dataDir,
      DATABASE_URL: '',
      KLUG_SECRET_KEY: '',
      REDIS_URL: '',
      KLUG_PUBLIC_URL: ' ',
      PORT: '',
      KLUG_AUTH_MODE: '',
      KLUG_GRAPHIQL: '',
      LOG_LEVEL: '',
    });

    expect(config.database).toEqual({ kind: 'pglite', dataDir: join(dataDir, 'pglite') });
    expect(config.secretKey).toMatch(/^[0-9a-f]{64}$/);
    expect(config.redisUrl).toBeUndefined();
    expect(config.publicUrl).toBeUndefined();
    expect(config.port).toBe(4000);
    expect(config.authMode).toBe('all');
    expect(config.graphiql).toBe(true);
    expect(config.logLevel).toBe('info');
  });

  it('asks for KLUG_SECRET_KEY when it is left empty beside a DATABASE_URL', () => {
    const error = configError(() => loadConfig({ KLUG_DATA_DIR: dataDir, DATABASE_URL: POSTGRES_URL, KLUG_SECRET_KEY: '' }));

    expect(error.problems).toEqual([expect.stringMatching(/^KLUG_SECRET_KEY: required when DATABASE_URL is set/)]);
  });

  it('bounds connecting to PostgreSQL and each statement by default', () => {
    const config = loadConfig({ KLUG_DATA_DIR: dataDir, DATABASE_URL: POSTGRES_URL, KLUG_SECRET_KEY: LONG_KEY });

    expect(config.database).toEqual({ kind: 'postgres', url: POSTGRES_URL, connectTimeoutMs: 10_000, queryTimeoutMs: 60_000 });
  });

  it('requires KLUG_SECRET_KEY when DATABASE_URL is set', () => {
    const error = configError(() => loadConfig({ KLUG_DATA_DIR: dataDir, DATABASE_URL: POSTGRES_URL }));

    expect(error.problems.join('\n')).toContain('KLUG_SECRET_KEY');
    expect(existsSync(join(dataDir, 'secret.key'))).toBe(false);
  });

  it('refuses a short KLUG_SECRET_KEY', () => {
    const error = configError(() => loadConfig({ KLUG_DATA_DIR: dataDir, KLUG_SECRET_KEY: 'too-short' }));

    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain('KLUG_SECRET_KEY');
  });

  it('generates the embedded secret key once, private to its owner, and reuses it', async () => {
    const nested = join(dataDir, 'nested', 'data');
    const first = loadConfig({ KLUG_DATA_DIR: nested });
    const file = join(nested, 'secret.key');

    expect(first.secretKey).toMatch(/^[0-9a-f]{64}$/);
    expect((await readFile(file, 'utf8')).trim()).toBe(first.secretKey);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const second = loadConfig({ KLUG_DATA_DIR: nested });
    expect(second.secretKey).toBe(first.secretKey);
  });

  it('prefers KLUG_SECRET_KEY over generating one in embedded mode', () => {
    const config = loadConfig({ KLUG_DATA_DIR: dataDir, KLUG_SECRET_KEY: LONG_KEY });

    expect(config.secretKey).toBe(LONG_KEY);
    expect(existsSync(join(dataDir, 'secret.key'))).toBe(false);
  });

  it('turns introspection and GraphiQL off in production unless asked for', () => {
    const production = loadConfig({ KLUG_DATA_DIR: dataDir, NODE_ENV: 'production' });
    expect(production.env).toBe('production');
    expect(production.introspection).toBe(false);
    expect(production.graphiql).toBe(false);

    const optedIn = loadConfig({
      KLUG_DATA_DIR: dataDir,
      NODE_ENV: 'production',
      KLUG_INTROSPECTION: 'true',
      KLUG_GRAPHIQL: '1',
    });
    expect(optedIn.introspection).toBe(true);
    expect(optedIn.graphiql).toBe(true);

    const optedOut = loadConfig({ KLUG_DATA_DIR: dataDir, KLUG_INTROSPECTION: 'false' });
    expect(optedOut.introspection).toBe(false);
    expect(optedOut.graphiql).toBe(true);
  });

  it('reads KLUG_CORS_ORIGINS as a list of origins, none by default', () => {
    expect(loadConfig({ KLUG_DATA_DIR: dataDir }).corsOrigins).toEqual([]);
    const config = loadConfig({
      KLUG_DATA_DIR: dataDir,
      KLUG_CORS_ORIGINS: ' https://App.example.com/ ,http://localhost:5173,, https://b.example.com:443',
    });
    expect(config.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173', 'https://b.example.com']);
  });

  it('refuses a KLUG_CORS_ORIGINS entry that is not an origin, naming each one', () => {
    const error = configError(() =>
      loadConfig({ KLUG_DATA_DIR: dataDir, KLUG_CORS_ORIGINS: '*, https://a.example.com/app, ftp://b.example.com' }),
    );
    expect(error.problems).toHaveLength(3);
    expect(error.problems.every((p) => p.startsWith('KLUG_CORS_ORIGINS'))).toBe(true);
    expect(error.message).toContain('https://a.example.com/app');
  });

  it('merges overrides into loginThrottle and limits, keeping the other defaults', () => {
    const defaults = loadConfig({ KLUG_DATA_DIR: dataDir });
    const config = loadConfig(
      { KLUG_DATA_DIR: dataDir },
      { port: 0, loginThrottle: { lockAfter: 3 }, limits: { maxDepth: 4 } },
    );

    expect(config.port).toBe(0);
    expect(config.loginThrottle).toEqual({ ...defaults.loginThrottle, lockAfter: 3 });
    expect(config.limits).toEqual({ ...defaults.limits, maxDepth: 4 });
    expect(config.loginThrottle.slowAfter).toBe(defaults.loginThrottle.slowAfter);
    expect(config.limits.maxAliases).toBe(defaults.limits.maxAliases);
  });

  it('keeps artwork in the data directory unless KLUG_ARTWORK_DIR names a shared one; overrides merge', () => {
    const defaults = loadConfig({ KLUG_DATA_DIR: dataDir });
    expect(defaults.artwork).toEqual({
      dir: join(dataDir, 'artwork'),
      uploadMaxBytes: 5 * 1024 * 1024,
      maxPixels: 50_000_000,
      fetchMaxBytes: 20 * 1024 * 1024,
      fetchTimeoutMs: 30_000,
    });
    const shared = loadConfig({ KLUG_DATA_DIR: dataDir, KLUG_ARTWORK_DIR: join(dataDir, 'shared'), KLUG_ARTWORK_UPLOAD_MAX_MB: '2' }, { artwork: { fetchTimeoutMs: 5 } });
    expect(shared.artwork).toEqual({ ...defaults.artwork, dir: join(dataDir, 'shared'), uploadMaxBytes: 2 * 1024 * 1024, fetchTimeoutMs: 5 });
  });

  it('takes a secretKey override without generating a key file', () => {
    const config = loadConfig({ KLUG_DATA_DIR: dataDir, DATABASE_URL: POSTGRES_URL }, { secretKey: LONG_KEY });

    expect(config.secretKey).toBe(LONG_KEY);
    expect(existsSync(join(dataDir, 'secret.key'))).toBe(false);
  });
});

describe('problems found together', () => {
  it('names a missing KLUG_SECRET_KEY beside other invalid settings', () => {
    try {
      loadConfig({ PORT: 'abc', DATABASE_URL: 'postgresql://localhost/klug' });
      expect.unreachable('loadConfig should have thrown');
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/PORT/);
      expect(problems).toMatch(/KLUG_SECRET_KEY/);
    }
  });

  it('refuses a kept secret key file that is too short', () => {
    const dir = mkdtempSync(join(tmpdir(), 'klug-config-'));
    try {
      writeFileSync(join(dir, 'secret.key'), 'short\n');
      expect(() => loadConfig({ KLUG_DATA_DIR: dir })).toThrow(/shorter than 32/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
