import type { RawSql } from '../db/database.js';
import { uuid7 } from '../db/uuid7.js';
import type { NewRun, RunRecord } from './run-record.js';
import type { RunStatus, TerminalRunStatus } from './run-status.js';
import type { StopFlags } from './run-context.js';

const ms = (n: number) => `(${Math.max(0, Math.round(n))} * interval '1 millisecond')`;

/**
 * Every statement that changes a run. Each one that a worker sends is guarded by its lease
 * (`leaseOwner`), so a worker that lost its run to another can never overwrite it.
 */
export class RunStore {
  constructor(readonly sql: RawSql) {}

  /** Answers null when a unique rule refuses the run: its dedupe key was taken, or its job is running already. */
  async insert(run: NewRun, conn: RawSql = this.sql): Promise<RunRecord | null> {
    const [row] = await conn.query<RunRecord>(
      `INSERT INTO "Run" (id, kind, "userId", "subjectId", node, "maxAttempts", "dedupeKey", progress, status, error, "finishedAt", checkpoint)
       VALUES ($1::uuid, $2, $3::uuid, $4::uuid, $5, $6, $7, $8::jsonb, $9::"RunStatus", $10, CASE WHEN $9 = 'QUEUED' THEN NULL ELSE now() END, $11::jsonb)
       ON CONFLICT DO NOTHING RETURNING *`,
      [
        uuid7(), run.kind, run.userId ?? null, run.subjectId ?? null, run.node ?? null, run.maxAttempts ?? 3, run.dedupeKey ?? null,
        JSON.stringify(run.progress ?? {}), run.status ?? 'QUEUED', run.error ?? null, run.checkpoint == null ? null : JSON.stringify(run.checkpoint),
      ],
    );
    return row ?? null;
  }

  async get(id: string, conn: RawSql = this.sql): Promise<RunRecord | null> {
    const [row] = await conn.query<RunRecord>(`SELECT * FROM "Run" WHERE id = $1::uuid`, [id]);
    return row ?? null;
  }

  async latestFor(kind: string, subjectId: string, conn: RawSql = this.sql): Promise<RunRecord | null> {
    const [row] = await conn.query<RunRecord>(
      `SELECT * FROM "Run" WHERE kind = $1 AND "subjectId" = $2::uuid ORDER BY id DESC LIMIT 1`,
      [kind, subjectId],
    );
    return row ?? null;
  }

  /** Takes the oldest claimable run of a kind, or none; concurrent claimers skip each other's rows. */
  async claim(conn: RawSql, kind: string, worker: string, node: string, leaseMs: number, affinityGraceMs: number): Promise<RunRecord | null> {
    const [row] = await conn.query<RunRecord>(
      `UPDATE "Run" r SET status = 'RUNNING', "leaseOwner" = $2, "leaseUntil" = now() + ${ms(leaseMs)},
         "heartbeatAt" = now(), attempts = r.attempts + 1, "startedAt" = coalesce(r."startedAt", now())
       WHERE r.id = (
         SELECT id FROM "Run"
         WHERE status = 'QUEUED' AND kind = $1 AND "runAfter" <= now() AND NOT "cancelRequested"
           AND (node IS NULL OR node = $3 OR "runAfter" < now() - ${ms(affinityGraceMs)})
         ORDER BY "runAfter", id LIMIT 1
         FOR UPDATE SKIP LOCKED)
       RETURNING r.*`,
      [kind, worker, node],
    );
    return row ?? null;
  }

  /**
   * The kinds among `kinds` with a run claim would take now: one read, outside any transaction, so a poll
   * that finds nothing (the common case, and every couple of seconds while a long run works) costs one
   * round trip instead of a claim's transaction per kind.
   */
  async claimable(kinds: string[], node: string, affinityGraceMs: number): Promise<Set<string>> {
    const rows = await this.sql.query<{ kind: string }>(
      `SELECT DISTINCT kind FROM "Run"
       WHERE status = 'QUEUED' AND kind = ANY($1::text[]) AND "runAfter" <= now() AND NOT "cancelRequested"
         AND (node IS NULL OR node = $2 OR "runAfter" < now() - ${ms(affinityGraceMs)})`,
      [kinds, node],
    );
    return new Set(rows.map((r) => r.kind));
  }

  /** Keeps the worker's claims alive; answers each held run's stop requests (a run missing lost its lease). */
  async renew(worker: string, ids: string[], leaseMs: number): Promise<Map<string, StopFlags>> {
    const rows = await this.sql.query<{ id: string; cancelRequested: boolean; pauseRequested: boolean }>(
      `UPDATE "Run" SET "leaseUntil" = now() + ${ms(leaseMs)}, "heartbeatAt" = now()
       WHERE id = ANY($1::uuid[]) AND "leaseOwner" = $2 AND status = 'RUNNING'
       RETURNING id, "cancelRequested", "pauseRequested"`,
      [ids, worker],
    );
    return new Map(rows.map((r) => [r.id, r]));
  }

  async saveProgress(run: RunRecord, worker: string, leaseMs: number, progress: unknown, checkpoint: unknown): Promise<StopFlags> {
    const [row] = await this.sql.query<StopFlags>(
      `UPDATE "Run" SET progress = $3::jsonb, checkpoint = $4::jsonb, "heartbeatAt" = now(), "leaseUntil" = now() + ${ms(leaseMs)}
       WHERE id = $1::uuid AND "leaseOwner" = $2 AND status = 'RUNNING'
       RETURNING "cancelRequested", "pauseRequested"`,
      [run.id, worker, JSON.stringify(progress), checkpoint == null ? null : JSON.stringify(checkpoint)],
    );
    return row ?? { cancelRequested: false, pauseRequested: false, leaseLost: true };
  }

  async readFlags(conn: RawSql, id: string): Promise<StopFlags> {
    const [row] = await conn.query<StopFlags>(`SELECT "cancelRequested", "pauseRequested" FROM "Run" WHERE id = $1::uuid`, [id]);
    return row ?? { cancelRequested: true, pauseRequested: false };
  }

  /** Ends a held run. */
  async finish(conn: RawSql, id: string, worker: string, status: TerminalRunStatus, error: string | null, progress: unknown): Promise<RunRecord | null> {
    const [row] = await conn.query<RunRecord>(
      `UPDATE "Run" SET status = $3::"RunStatus", error = $4, progress = coalesce($5::jsonb, progress), "finishedAt" = now(),
         "leaseOwner" = NULL, "leaseUntil" = NULL
       WHERE id = $1::uuid AND "leaseOwner" = $2 AND status = 'RUNNING' RETURNING *`,
      [id, worker, status, error, progress == null ? null : JSON.stringify(progress)],
    );
    return row ?? null;
  }

  /**
   * Gives a held run back: QUEUED (after `delayMs`, to retry or resume) or PAUSED. `refund` takes back
   * the attempt when the stop was not the run's fault (a graceful shutdown, a pause).
   */
  async release(
    conn: RawSql,
    id: string,
    worker: string,
    to: 'QUEUED' | 'PAUSED',
    opts: { delayMs: number; refund: boolean; error: string | null; progress: unknown; checkpoint: unknown },
  ): Promise<RunRecord | null> {
    const [row] = await conn.query<RunRecord>(
      `UPDATE "Run" SET status = $3::"RunStatus", "runAfter" = now() + ${ms(opts.delayMs)}, attempts = attempts - $4,
         error = $5, progress = coalesce($6::jsonb, progress), checkpoint = coalesce($7::jsonb, checkpoint),
         "leaseOwner" = NULL, "leaseUntil" = NULL, "pauseRequested" = false
       WHERE id = $1::uuid AND "leaseOwner" = $2 AND status = 'RUNNING' RETURNING *`,
      [id, worker, to, opts.refund ? 1 : 0, opts.error, opts.progress == null ? null : JSON.stringify(opts.progress), opts.checkpoint == null ? null : JSON.stringify(opts.checkpoint)],
    );
    return row ?? null;
  }

  /**
   * Runs whose worker is gone: a lease that ran out (or, with `sameNodeBefore`, one held by an earlier
   * boot of this replica) is taken back: cancelled when a cancel was asked, paused when a pause was,
   * failed with a reason once its attempts are spent, queued again otherwise. Queued runs with a cancel
   * request end too. Locked rows are skipped: their worker is busy changing them.
   */
  async reap(conn: RawSql, worker: string, sameNode: { node: string } | null): Promise<RunRecord[]> {
    return conn.query<RunRecord>(
      `WITH gone AS (
         SELECT id FROM "Run"
         WHERE (status = 'RUNNING' AND "leaseOwner" IS DISTINCT FROM $1
                AND ("leaseUntil" < now() OR ($2::text IS NOT NULL AND "leaseOwner" LIKE $2 || '/%')))
            OR (status = 'QUEUED' AND "cancelRequested")
         FOR UPDATE SKIP LOCKED)
       UPDATE "Run" r SET
         status = (CASE WHEN r."cancelRequested" THEN 'CANCELLED'
                        WHEN r.status = 'RUNNING' AND r."pauseRequested" THEN 'PAUSED'
                        WHEN r.status = 'RUNNING' AND r.attempts >= r."maxAttempts" THEN 'FAILED'
                        ELSE 'QUEUED' END)::"RunStatus",
         error = CASE WHEN NOT r."cancelRequested" AND NOT r."pauseRequested" AND r.attempts >= r."maxAttempts"
                      THEN 'the server working on it stopped ' || r.attempts || ' times; gave up' ELSE r.error END,
         "finishedAt" = CASE WHEN r."cancelRequested" OR (NOT r."pauseRequested" AND r.attempts >= r."maxAttempts") THEN now() END,
         "pauseRequested" = false, "leaseOwner" = NULL, "leaseUntil" = NULL, "runAfter" = now()
       FROM gone WHERE r.id = gone.id
       RETURNING r.*`,
      [worker, sameNode?.node ?? null],
    );
  }

  /**
   * Asks a run to stop for good. A run nobody holds ends CANCELLED at once; a held one gets the request
   * and its worker stops at the next checkpoint (or the reaper ends it when that worker is gone).
   */
  async requestCancel(conn: RawSql, id: string): Promise<RunRecord | null> {
    const [row] = await conn.query<RunRecord>(
      `UPDATE "Run" SET "cancelRequested" = true,
         status = (CASE WHEN status IN ('QUEUED', 'PAUSED') THEN 'CANCELLED' ELSE status END)::"RunStatus",
         "finishedAt" = CASE WHEN status IN ('QUEUED', 'PAUSED') THEN now() ELSE "finishedAt" END
       WHERE id = $1::uuid AND status IN ('QUEUED', 'PAUSED', 'RUNNING') RETURNING *`,
      [id],
    );
    return row ?? null;
  }

  async requestPause(conn: RawSql, id: string): Promise<RunRecord | null> {
    const [row] = await conn.query<RunRecord>(
      `UPDATE "Run" SET "pauseRequested" = (status = 'RUNNING'),
         status = (CASE WHEN status = 'QUEUED' THEN 'PAUSED' ELSE status END)::"RunStatus"
       WHERE id = $1::uuid AND status IN ('QUEUED', 'RUNNING') RETURNING *`,
      [id],
    );
    return row ?? null;
  }

  async resume(conn: RawSql, id: string): Promise<RunRecord | null> {
    const [row] = await conn.query<RunRecord>(
      `UPDATE "Run" SET status = 'QUEUED', "runAfter" = now(), "pauseRequested" = false
       WHERE id = $1::uuid AND status = 'PAUSED' RETURNING *`,
      [id],
    );
    return row ?? null;
  }

  async statusOf(id: string): Promise<RunStatus | null> {
    const [row] = await this.sql.query<{ status: RunStatus }>(`SELECT status FROM "Run" WHERE id = $1::uuid`, [id]);
    return row?.status ?? null;
  }
}
