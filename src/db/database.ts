import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { from as copyFromStdin } from 'pg-copy-streams';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { DATABASE_TIMEOUTS, type Config, type PostgresSettings } from '../config.js';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaClient } from '../generated/prisma/client.js';
import { lockDataDir } from './data-dir-lock.js';

/** Plain SQL on the same database Prisma uses: for the migrator, health checks and set-based bulk writes. */
export interface RawSql {
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]>;
  /** Runs a multi-statement script (a migration) without parameters. */
  exec(script: string): Promise<void>;
  /** Runs `work` on one connection, so session-level state such as advisory locks holds throughout. */
  withConnection<T>(work: (sql: RawSql) => Promise<T>): Promise<T>;
  /**
   * Runs `work` on one connection with no statement timeout (connecting is still bounded): for migrations,
   * whose lock waits and index builds may rightly run long.
   */
  withoutTimeout<T>(work: (sql: RawSql) => Promise<T>): Promise<T>;
  /** Runs `work` in one transaction, committed when it resolves and rolled back when it throws. */
  transaction<T>(work: (sql: RawSql) => Promise<T>): Promise<T>;
  /**
   * Loads `data`, rows in COPY's text format in pieces of a few hundred (small strings stay in V8's young
   * generation; one string per chunk would wait in large-object space for a full collection), with
   * `COPY <target> FROM STDIN` (PGlite: from a blob); answers the rows written: a bulk writer's fastest path.
   * Atomic like any statement: all rows or none.
   */
  copyFrom(target: string, data: string[]): Promise<number>;
}

export interface Database {
  kind: 'postgres' | 'pglite';
  prisma: PrismaClient;
  sql: RawSql;
  /** SQL statements Prisma has sent so far: tests and benchmarks prove a page costs a constant number */
  statementCount(): number;
  close(): Promise<void>;
}

/**
 * A statement that opens with this comment gets a name of its own on each connection: PostgreSQL parses and plans
 * it once and keeps a generic plan when that is no costlier than planning each time (plan_cache_mode auto). For big
 * hot statements whose planning is a real part of their time; Prisma's own statements stay unnamed. (A pooler in
 * transaction mode must keep protocol-level prepared statements, e.g. PgBouncer's max_prepared_statements > 0.)
 */
export const PREPARED = '/* prepared */';

/** The name of a statement marked PREPARED (one per text: pg refuses a name reused for another text), else none. */
function preparedName(): (query: { sql: string }) => string {
  const names = new Map<string, string>();
  return ({ sql }) => {
    if (!sql.startsWith(PREPARED)) return undefined as unknown as string; // the adapter's type wants a string; pg reads none as unnamed
    let name = names.get(sql);
    if (name === undefined) names.set(sql, (name = `klug_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`));
    return name;
  };
}

/** A client that reports each statement it sends, counted here (and nothing else is done with them). */
function countingClient(adapter: SqlDriverAdapterFactory) {
  const options = { adapter, log: [{ emit: 'event' as const, level: 'query' as const }] };
  const prisma = new PrismaClient<typeof options>(options);
  let statements = 0;
  prisma.$on('query', () => void statements++);
  return { prisma: prisma as unknown as PrismaClient, statementCount: () => statements };
}

/** As config gives it; benchmarks and tests may leave PostgreSQL's timeouts to their defaults. */
export type DatabaseSettings = Config['database'] | { kind: 'postgres'; url: string; connectTimeoutMs?: number; queryTimeoutMs?: number };

export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  return settings.kind === 'postgres' ? openPostgres({ ...DATABASE_TIMEOUTS, ...settings }) : openPglite(settings.dataDir);
}

/** A database that cannot be reached or does not answer: start-up reports it in one line and exits. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

/** The client gives up this long after the server should have cancelled a statement itself: it stopped answering. */
const QUERY_TIMEOUT_GRACE_MS = 5_000;

async function openPostgres(settings: PostgresSettings): Promise<Database> {
  const { url, connectTimeoutMs, queryTimeoutMs } = settings;
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: connectTimeoutMs,
    ...(queryTimeoutMs > 0 && { statement_timeout: queryTimeoutMs, query_timeout: queryTimeoutMs + QUERY_TIMEOUT_GRACE_MS }),
  });
  pool.on('error', () => undefined); // an idle client's broken connection is replaced on next use
  await pool.query('SELECT 1').catch(async (error: unknown) => {
    await pool.end().catch(() => undefined);
    throw unavailable(settings, error);
  });
  const { prisma, statementCount } = countingClient(new PrismaPg(pool, { statementNameGenerator: preparedName() }));
  const onClient = (client: pg.ClientBase): RawSql => {
    const conn: RawSql = {
      query: async (text, params) => (await client.query(text, params as unknown[])).rows,
      exec: async (script) => void (await client.query(script)),
      withConnection: (work) => work(conn),
      withoutTimeout: (work) => work(conn),
      transaction: (work) => inTransaction(conn, work),
      copyFrom: (target, data) => copyInto(client, target, data),
    };
    return conn;
  };
  const sql: RawSql = {
    query: async (text, params) => (await pool.query(text, params as unknown[])).rows,
    exec: async (script) => void (await pool.query(script)),
    withConnection: async (work) => {
      const client = await pool.connect();
      try {
        return await work(onClient(client));
      } finally {
        client.release();
      }
    },
    withoutTimeout: async (work) => {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
      client.on('error', () => undefined); // a broken connection fails the statement in flight instead
      await client.connect();
      try {
        return await work(onClient(client));
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    transaction: (work) => sql.withConnection((conn) => inTransaction(conn, work)),
    copyFrom: (target, data) => sql.withConnection((conn) => conn.copyFrom(target, data)),
  };
  return {
    kind: 'postgres',
    prisma,
    sql,
    statementCount,
    close: async () => {
      await prisma.$disconnect();
      await pool.end().catch(() => undefined);
    },
  };
}

/** Names the database without its password (or any query parameters, which may carry one). */
function unavailable(settings: PostgresSettings, error: unknown): DatabaseUnavailableError {
  const where = new URL(settings.url);
  const password = decodeURIComponent(where.password);
  where.password = '';
  where.search = '';
  let reason = error instanceof Error ? error.message : String(error);
  if (/query read timeout/i.test(reason)) {
    reason = `no answer to a query within ${settings.queryTimeoutMs + QUERY_TIMEOUT_GRACE_MS} ms (KLUG_DB_QUERY_TIMEOUT_MS)`;
  } else if (/timeout/i.test(reason)) {
    reason = `no answer within ${settings.connectTimeoutMs} ms (KLUG_DB_CONNECT_TIMEOUT_MS)`;
  }
  if (password) reason = reason.replaceAll(password, '***');
  return new DatabaseUnavailableError(`cannot reach PostgreSQL at ${where.toString()}: ${reason}`);
}

/** COPY FROM STDIN through pg-copy-streams: `finish` comes once the server has confirmed the rows. */
async function copyInto(client: pg.ClientBase, target: string, data: string[]): Promise<number> {
  const stream = client.query(copyFromStdin(`COPY ${target} FROM STDIN`));
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject);
    stream.on('finish', resolve);
    for (const piece of data) stream.write(piece);
    stream.end();
  });
  return stream.rowCount;
}

async function inTransaction<T>(conn: RawSql, work: (sql: RawSql) => Promise<T>): Promise<T> {
  await conn.exec('BEGIN');
  try {
    const result = await work(conn);
    await conn.exec('COMMIT');
    return result;
  } catch (error) {
    await conn.exec('ROLLBACK');
    throw error;
  }
}

async function openPglite(dataDir: string): Promise<Database> {
  mkdirSync(dataDir, { recursive: true });
  const unlock = lockDataDir(dataDir);
  // pg_trgm: IPTV's name search uses a trigram index where the extension exists (see the iptv_search migration)
  const pglite = await PGlite.create(dataDir, { extensions: { pg_trgm } }).catch((error: unknown) => {
    unlock();
    throw error;
  });
  const { prisma, statementCount } = countingClient(new PrismaPGlite(pglite));
  type Queryable = Pick<PGlite, 'query' | 'exec'>;
  const on = (target: Queryable): RawSql => {
    const conn: RawSql = {
      query: async (text, params) => (await target.query(text, params as unknown[])).rows as never[],
      exec: async (script) => void (await target.exec(script)),
      withConnection: (work) => work(conn),
      withoutTimeout: (work) => work(conn),
      // PGlite's own transaction holds its lock, so no other request's statement slips into ours
      transaction: (work) => pglite.transaction((tx) => work(on(tx))),
      // PGlite reads COPY's input from a blob it names /dev/blob
      copyFrom: async (into, data) => (await target.query(`COPY ${into} FROM '/dev/blob'`, [], { blob: new Blob(data) })).affectedRows ?? 0,
    };
    return conn;
  };
  const sql = on(pglite);
  return {
    kind: 'pglite',
    prisma,
    sql,
    statementCount,
    close: async () => {
      await prisma.$disconnect();
      await pglite.close();
      unlock();
    },
  };
}
