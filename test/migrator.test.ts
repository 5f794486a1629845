import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { MIGRATIONS_DIR, MigrationError, migrate, pendingMigrations, readMigrations, type Migration } from '../src/db/migrator.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

interface BookkeepingRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | string | null;
  rolled_back_at: Date | string | null;
}

function databaseConfig(env: Record<string, string>, queryTimeoutMs = 60_000): Config['database'] {
  if (env.DATABASE_URL) return { kind: 'postgres', url: env.DATABASE_URL, connectTimeoutMs: 10_000, queryTimeoutMs };
  return { kind: 'pglite', dataDir: join(env.KLUG_DATA_DIR!, 'pglite') };
}

/** The committed migrations as read straight from disk, independently of readMigrations. */
async function committedMigrations(): Promise<{ name: string; checksum: string }[]> {
  const entries = await readdir(MIGRATIONS_DIR, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      checksum: createHash('sha256')
        .update(await readFile(join(MIGRATIONS_DIR, name, 'migration.sql')))
        .digest('hex'),
    })),
  );
}

async function bookkeeping(db: Database): Promise<BookkeepingRow[]> {
  return db.sql.query<BookkeepingRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY migration_name`,
  );
}

async function tableExists(db: Database, table: string): Promise<boolean> {
  const [row] = await db.sql.query<{ exists: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS exists`, [
    `"${table}"`,
  ]);
  return row?.exists === true;
}

function withChecksum(name: string, script: string): Migration {
  return { name, script, checksum: createHash('sha256').update(script).digest('hex') };
}

let testDb: TestDatabase | undefined;
const opened: Database[] = [];

async function open(queryTimeoutMs?: number): Promise<Database> {
  const db = await openDatabase(databaseConfig(testDb!.env, queryTimeoutMs));
  opened.push(db);
  return db;
}

beforeEach(async () => {
  testDb = await createTestDatabase();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((db) => db.close()));
  await testDb?.drop();
  testDb = undefined;
});

describe('migrate', () => {
  it('applies every committed migration to an empty database and records it with its sha256 checksum', async () => {
    const committed = await committedMigrations();
    expect(committed.length).toBeGreaterThan(0);
    const db = await open();

    const applied = await migrate(db.sql);

    expect(applied).toEqual(committed.map((m) => m.name));
    const rows = await bookkeeping(db);
    expect(rows.map((r) => ({ name: r.migration_name, checksum: r.checksum }))).toEqual(committed);
    for (const row of rows) {
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at).not.toBeNull();
      expect(row.rolled_back_at).toBeNull();
    }
  });

  it('applies nothing the second time', async () => {
    const db = await open();
    await migrate(db.sql);
    const before = await bookkeeping(db);

    expect(await migrate(db.sql)).toEqual([]);
    expect(await bookkeeping(db)).toEqual(before);
  });

  it('lists every migration as pending before and none after', async () => {
    const migrations = await readMigrations();
    const db = await open();

    expect(await pendingMigrations(db.sql, migrations)).toEqual(migrations.map((m) => m.name));
    await migrate(db.sql, migrations);
    expect(await pendingMigrations(db.sql, migrations)).toEqual([]);

    const extra = withChecksum('99990101000000_later', 'SELECT 1;');
    expect(await pendingMigrations(db.sql, [...migrations, extra])).toEqual([extra.name]);
  });

  it('refuses a migration changed after it was applied', async () => {
    const migrations = await readMigrations();
    const db = await open();
    await migrate(db.sql, migrations);
    const [first, ...others] = migrations;
    const changed = withChecksum(first!.name, `${first!.script}\n-- edited afterwards\n`);

    const error = await migrate(db.sql, [changed, ...others]).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toContain(first!.name);
    // the lock was released: the unchanged set still migrates (to nothing)
    expect(await migrate(db.sql, migrations)).toEqual([]);
  });

  it('rolls a failing migration back completely and keeps the ones applied before', async () => {
    const migrations = await readMigrations();
    const db = await open();
    await migrate(db.sql, migrations);
    const before = await bookkeeping(db);
    const broken = withChecksum(
      '99990101000000_broken',
      'CREATE TABLE "half_done" ("id" INTEGER);\nSELECT * FROM no_such_table;\n',
    );

    const error = await migrate(db.sql, [...migrations, broken]).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toContain(broken.name);
    expect(await bookkeeping(db)).toEqual(before);
    expect(await tableExists(db, 'half_done')).toBe(false);
    expect(await pendingMigrations(db.sql, [...migrations, broken])).toEqual([broken.name]);
    // the connection is usable and out of the failed transaction; a fixed migration then applies
    const fixed = withChecksum(broken.name, 'CREATE TABLE "half_done" ("id" INTEGER);\n');
    expect(await migrate(db.sql, [...migrations, fixed])).toEqual([fixed.name]);
    expect(await tableExists(db, 'half_done')).toBe(true);
  });

  it('applies nothing of a failing migration on an empty database either', async () => {
    const db = await open();
    const broken = withChecksum('00000101000000_broken', 'SELECT * FROM no_such_table;');

    await expect(migrate(db.sql, [broken])).rejects.toBeInstanceOf(MigrationError);

    expect(await bookkeeping(db)).toEqual([]);
  });

  it.runIf(process.env.TEST_DATABASE_URL)(
    'applies each migration exactly once when two servers migrate one PostgreSQL database together',
    async () => {
      const migrations = await readMigrations();
      const [one, two] = [await open(), await open()];
      expect(one.kind).toBe('postgres');

      const [appliedByOne, appliedByTwo] = await Promise.all([migrate(one.sql, migrations), migrate(two.sql, migrations)]);

      const union = [...appliedByOne, ...appliedByTwo];
      expect(union.slice().sort()).toEqual(migrations.map((m) => m.name).sort());
      expect(new Set(union).size).toBe(union.length);
      const rows = await bookkeeping(one);
      expect(rows.map((r) => r.migration_name)).toEqual(migrations.map((m) => m.name));
      expect(await pendingMigrations(two.sql, migrations)).toEqual([]);
    },
  );
});

describe('statement timeout', () => {
  it('cancels a statement that runs past KLUG_DB_QUERY_TIMEOUT_MS, but not a migration', async () => {
    if (!testDb!.env.DATABASE_URL) return; // PostgreSQL only: PGlite runs in the process
    const db = await open(100);

    await expect(db.sql.query('SELECT pg_sleep(5)')).rejects.toThrow(/statement timeout/);
    await expect(db.prisma.$queryRawUnsafe('SELECT pg_sleep(5)')).rejects.toThrow(/statement timeout/);
    const slow = withChecksum('20990101000000_slow', 'SELECT pg_sleep(0.5); CREATE TABLE "SlowlyMade" (id int);');
    expect(await migrate(db.sql, [slow])).toEqual([slow.name]);
    expect(await tableExists(db, 'SlowlyMade')).toBe(true);
  });
});
