import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawSql } from './database.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));

/** Any fixed number works; it only has to be the same for every Klug process. */
const MIGRATION_LOCK_KEY = 72_617_301;

// The same bookkeeping table Prisma Migrate keeps, so `prisma migrate status` agrees with us.
const BOOKKEEPING = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export interface Migration {
  name: string;
  script: string;
  checksum: string;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  return Promise.all(
    names.map(async (name) => {
      const script = await readFile(join(dir, name, 'migration.sql'), 'utf8');
      return { name, script, checksum: createHash('sha256').update(script).digest('hex') };
    }),
  );
}

/**
 * Applies the pending migrations, each in its own transaction, under a session advisory lock so that
 * servers starting together on one database apply each migration exactly once. Returns the names applied.
 */
export async function migrate(sql: RawSql, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await readMigrations());
  return sql.withoutTimeout(async (conn) => {
    await conn.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await conn.exec(BOOKKEEPING);
      const applied = await appliedMigrations(conn);
      const done: string[] = [];
      for (const migration of all) {
        const previous = applied.get(migration.name);
        if (previous !== undefined) {
          if (previous !== migration.checksum) {
            throw new MigrationError(
              `migration ${migration.name} was changed after it was applied; add a new migration instead`,
            );
          }
          continue;
        }
        await apply(conn, migration);
        done.push(migration.name);
      }
      return done;
    } finally {
      await conn.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  });
}

/** Names of committed migrations not yet applied (or the bookkeeping table is missing). */
export async function pendingMigrations(sql: RawSql, migrations: Migration[]): Promise<string[]> {
  const [bookkeeping] = await sql.query<{ exists: boolean }>(
    `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS exists`,
  );
  if (!bookkeeping?.exists) return migrations.map((m) => m.name);
  const applied = await appliedMigrations(sql);
  return migrations.filter((m) => !applied.has(m.name)).map((m) => m.name);
}

async function appliedMigrations(sql: RawSql): Promise<Map<string, string>> {
  const rows = await sql.query<{ migration_name: string; checksum: string }>(
    `SELECT migration_name, checksum FROM "_prisma_migrations"
     WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  );
  return new Map(rows.map((r) => [r.migration_name, r.checksum]));
}

async function apply(sql: RawSql, migration: Migration): Promise<void> {
  await sql.exec('BEGIN');
  try {
    await sql.exec(migration.script);
    await sql.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, finished_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), 1)`,
      [randomUUID(), migration.checksum, migration.name],
    );
    await sql.exec('COMMIT');
  } catch (error) {
    await sql.exec('ROLLBACK');
    throw new MigrationError(`migration ${migration.name} failed: ${(error as Error).message}`);
  }
}
