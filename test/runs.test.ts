import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { migrate, readMigrations } from '../src/db/migrator.js';
import { RunContext } from '../src/jobs/run-context.js';
import type { RunKind } from '../src/jobs/run-kind.js';
import type { RunRecord } from '../src/jobs/run-record.js';
import { RunWorker, type RunSettings } from '../src/jobs/run-worker.js';
import { createLogger } from '../src/logger.js';
import { createEventBus, type EventBus } from '../src/services/events.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

// The runs mechanism on its own, on a real database (PGlite, or PostgreSQL with TEST_DATABASE_URL).
const SETTINGS: RunSettings = { leaseMs: 60_000, pollMs: 60_000, progressMs: 1000, affinityGraceMs: 60_000, retryBaseMs: 5, retryMaxMs: 20 };
const log = createLogger('silent');
let testDb: TestDatabase;
let db: Database;
let events: EventBus;
const workers: RunWorker[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  const config = loadConfig({ ...testDb.env, KLUG_SECRET_KEY: 'runs-test-secret-key-of-at-least-32-chars' });
  db = await openDatabase(config.database);
  await migrate(db.sql, await readMigrations());
  events = createEventBus(undefined);
});

// each worker listens for `run:queued` on the shared bus until stopped: stopping a test's workers when it ends
// keeps them from piling up (15 tests' worth once set off Node's MaxListenersExceededWarning in CI)
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
});

afterAll(async () => {
  await db.close();
  await testDb.drop();
});

function worker(kinds: RunKind<any>[], settings: Partial<RunSettings> = {}, node = 'node-a'): RunWorker {
  const w = new RunWorker({ sql: db.sql, events, log, settings: { ...SETTINGS, ...settings }, node, exclusive: false });
  for (const kind of kinds) w.register(kind);
  workers.push(w);
  return w;
}

let kindNumber = 0;
const kindName = (what: string) => `test-${what}-${++kindNumber}`;
const get = (id: string) => db.prisma.run.findUniqueOrThrow({ where: { id } });
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));

/** Resolves with the first change of a run whose status passes `test`. */
function changeOf(id: string, test: (status: string) => boolean): Promise<RunRecord> {
  const iterator = events.pubsub.subscribe('run:changed', id)[Symbol.asyncIterator]();
  return (async () => {
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        if (test(next.value.run.status)) return next.value.run as RunRecord;
      }
      throw new Error('event stream ended');
    } finally {
      await iterator.return?.();
    }
  })();
}

/** A handler that counts to `to`, checkpointing each step, and never finishes on its own while `hold` says so. */
function counting(name: string, options: { to?: number; hold?: () => boolean; seen?: (run: RunRecord) => void } = {}): RunKind<{ i: number }> {
  return {
    name,
    concurrency: 1,
    run: async (ctx) => {
      options.seen?.(ctx.run as RunRecord);
      let i = ctx.run.checkpoint?.i ?? 0;
      while (i < (options.to ?? 5) || options.hold?.()) {
        i++;
        await ctx.progress({ i }, { checkpoint: { i }, force: true });
        await yieldToLoop();
      }
      return { i };
    },
  };
}

describe('claiming', () => {
  it('two workers sharing one queue run every run exactly once', async () => {
    const name = kindName('share');
    const ranBy = new Map<string, string[]>();
    const kind = (who: string): RunKind => ({
      name,
      concurrency: 3,
      run: async (ctx) => {
        ranBy.set(ctx.run.id, [...(ranBy.get(ctx.run.id) ?? []), who]);
        await yieldToLoop();
      },
    });
    const a = worker([kind('a')], {}, 'node-a');
    const b = worker([kind('b')], {}, 'node-b');
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push((await db.sql.query<{ id: string }>(`INSERT INTO "Run" (id, kind) VALUES (gen_random_uuid(), $1) RETURNING id`, [name]))[0]!.id);
    await Promise.all([a.start(), b.start()]);
    await Promise.all([a.idle(), b.idle()]);
    expect([...ranBy.keys()].sort()).toEqual([...ids].sort());
    expect([...ranBy.values()].every((who) => who.length === 1)).toBe(true);
    const statuses = await db.prisma.run.groupBy({ by: ['status'], where: { kind: name }, _count: true });
    expect(statuses).toEqual([{ status: 'COMPLETED', _count: 40 }]);
  });

  it('keeps a run on its node until the grace period is over', async () => {
    const name = kindName('affinity');
    const here = worker([counting(name)], {}, 'elsewhere');
    await here.start();
    const run = await here.enqueue({ kind: name, node: 'the-node-with-the-files' });
    await here.idle();
    expect((await get(run!.id)).status).toBe('QUEUED');
    const owner = worker([counting(name)], {}, 'the-node-with-the-files');
    await owner.start();
    await owner.idle();
    expect((await get(run!.id)).status).toBe('COMPLETED');
  });
});

describe('stopping', () => {
  it('cancel stops a running run at its next checkpoint and ends it CANCELLED', async () => {
    const name = kindName('cancel');
    let steps = 0;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const w = worker([
      {
        name,
        concurrency: 1,
        run: async (ctx) => {
          for (;;) {
            await ctx.progress({ step: ++steps }, { force: true });
            if (steps === 3) started();
            await yieldToLoop();
          }
        },
      },
    ]);
    await w.start();
    const run = await w.enqueue({ kind: name });
    await running;
    const cancelled = await w.cancel(run!.id);
    expect(cancelled?.status).toBe('CANCELLED');
    const after = steps;
    await w.idle();
    expect(steps).toBe(after);
    expect((await get(run!.id)).finishedAt).toBeInstanceOf(Date);
  });

  it('cancel ends a queued run at once, and a run whose worker is gone without waiting for it', async () => {
    const name = kindName('cancel-idle');
    const w = worker([counting(name)]);
    const queued = await w.enqueue({ kind: name });
    expect((await w.cancel(queued!.id))?.status).toBe('CANCELLED');
    const abandoned = await db.prisma.run.create({
      data: { kind: name, status: 'RUNNING', attempts: 1, leaseOwner: 'dead/1', leaseUntil: new Date(Date.now() - 1000) },
    });
    expect((await w.cancel(abandoned.id))?.status).toBe('CANCELLED');
  });

  it('a graceful stop leaves the run queued with its checkpoint; the next worker resumes from there', async () => {
    const name = kindName('resume');
    let hold = true;
    const starts: (number | undefined)[] = [];
    let reached!: () => void;
    const atFive = new Promise<void>((resolve) => (reached = resolve));
    const kind = counting(name, {
      to: 8,
      hold: () => hold,
      seen: (run) => starts.push((run.checkpoint as { i: number } | null)?.i),
    });
    const first = worker([{ ...kind, run: async (ctx) => { const p = ctx.progress.bind(ctx); ctx.progress = async (c, o) => { await p(c, o); if ((c.i as number) >= 5) reached(); }; return kind.run(ctx); } }]);
    await first.start();
    const run = await first.enqueue({ kind: name });
    await atFive;
    await first.stop();
    const stopped = await get(run!.id);
    expect(stopped).toMatchObject({ status: 'QUEUED', attempts: 0, leaseOwner: null });
    const resumedFrom = (stopped.checkpoint as { i: number }).i;
    expect(resumedFrom).toBeGreaterThanOrEqual(5);
    hold = false;
    const second = worker([kind]);
    await second.start();
    await second.idle();
    expect(starts).toEqual([undefined, resumedFrom]);
    expect(await get(run!.id)).toMatchObject({ status: 'COMPLETED', attempts: 1, progress: { i: Math.max(8, resumedFrom) } });
  });

  it('work that ends with what its aborted I/O threw (an AbortError) is stopped, not failed', async () => {
    const name = kindName('aborted-io');
    let waiting!: () => void;
    const started = new Promise<void>((resolve) => (waiting = resolve));
    const w = worker([
      {
        name,
        concurrency: 1,
        run: async (ctx) => {
          waiting();
          // timers/promises rejects with its own AbortError, not the signal's reason
          await new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }))));
        },
      },
    ]);
    await w.start();
    const run = await w.enqueue({ kind: name });
    await started;
    await w.stop();
    expect(await get(run!.id)).toMatchObject({ status: 'QUEUED', attempts: 0, error: null });
  });

  it('pause gives the run back PAUSED; resume queues it again and it finishes', async () => {
    const name = kindName('pause');
    let hold = true;
    const w = worker([counting(name, { hold: () => hold })]);
    await w.start();
    const run = await w.enqueue({ kind: name });
    await changeOf(run!.id, (s) => s === 'RUNNING');
    expect((await w.pause(run!.id))?.status).toBe('PAUSED');
    await w.idle();
    expect((await get(run!.id)).status).toBe('PAUSED');
    hold = false;
    await w.resume(run!.id);
    await w.idle();
    expect((await get(run!.id)).status).toBe('COMPLETED');
  });
});

describe('workers that die', () => {
  it('takes over a run whose lease ran out and resumes it from its checkpoint', async () => {
    const name = kindName('takeover');
    const starts: unknown[] = [];
    const run = await db.prisma.run.create({
      data: { kind: name, status: 'RUNNING', attempts: 1, leaseOwner: 'dead/1', leaseUntil: new Date(Date.now() - 1000), checkpoint: { i: 3 } },
    });
    const w = worker([counting(name, { to: 5, seen: (r) => starts.push(r.checkpoint) })], { leaseMs: 300 });
    await w.start();
    await w.idle();
    expect(starts).toEqual([{ i: 3 }]);
    expect(await get(run.id)).toMatchObject({ status: 'COMPLETED', attempts: 2, progress: { i: 5 } });
  });

  it('fails a run with a reason once its attempts are spent', async () => {
    const name = kindName('spent');
    const run = await db.prisma.run.create({
      data: { kind: name, status: 'RUNNING', attempts: 3, maxAttempts: 3, leaseOwner: 'dead/1', leaseUntil: new Date(Date.now() - 1000) },
    });
    const w = worker([counting(name)]);
    await w.start();
    await w.idle();
    const failed = await get(run.id);
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatch(/stopped 3 times/);
    expect(failed.finishedAt).toBeInstanceOf(Date);
  });

  it('at start, an exclusive worker takes back what an earlier boot of its node held, lease or not', async () => {
    const name = kindName('reboot');
    const run = await db.prisma.run.create({
      data: { kind: name, status: 'RUNNING', attempts: 1, leaseOwner: 'node-r/earlier-boot', leaseUntil: new Date(Date.now() + 3_600_000) },
    });
    const w = new RunWorker({ sql: db.sql, events, log, settings: SETTINGS, node: 'node-r', exclusive: true });
    workers.push(w);
    w.register(counting(name));
    await w.start();
    await w.idle();
    expect((await get(run.id)).status).toBe('COMPLETED');
  });
});

describe('retries', () => {
  it('retries a run that lost its connection after a backoff, and fails at once on a domain error', async () => {
    const name = kindName('retry');
    let calls = 0;
    const w = worker([
      {
        name,
        concurrency: 1,
        run: async () => {
          calls++;
          if (calls === 1) throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
          return { ok: true };
        },
      },
    ], { pollMs: 20 });
    await w.start();
    const run = await w.enqueue({ kind: name });
    const done = await changeOf(run!.id, (s) => s === 'COMPLETED' || s === 'FAILED');
    expect(done.status).toBe('COMPLETED');
    expect(calls).toBe(2);
    expect(await get(run!.id)).toMatchObject({ attempts: 2, progress: { ok: true } });

    const plain = kindName('plain-failure');
    w.register({ name: plain, concurrency: 1, run: async () => { throw new TypeError('a bug'); }, failureMessage: 'it broke' });
    const broken = await w.enqueue({ kind: plain });
    await w.idle();
    expect(await get(broken!.id)).toMatchObject({ status: 'FAILED', attempts: 1, error: 'it broke' });
  });
});

describe('progress', () => {
  it('saves and publishes a handful of times for 10,000 updates over 2 s', async () => {
    let clock = 0;
    const saves: unknown[] = [];
    const run = { id: 'r', progress: {}, checkpoint: null } as unknown as RunRecord;
    const ctx = new RunContext(run, { save: async (_run, progress) => (saves.push(progress), { cancelRequested: false, pauseRequested: false }) }, 1000, () => clock);
    for (let i = 1; i <= 10_000; i++) {
      clock = i * 0.2; // 10,000 updates spread over 2 s
      await ctx.progress({ i });
    }
    // the first update, then one a second; the last state goes out with the run's end
    expect(saves).toEqual([{ i: 1 }, { i: 5001 }]);
  });

  it('a run updating 10,000 times publishes its changes, not its updates', async () => {
    const name = kindName('chatty');
    const w = worker([{ name, concurrency: 1, run: async (ctx) => { for (let i = 1; i <= 10_000; i++) await ctx.progress({ i }); return { i: 10_000 }; } }]);
    const run = await w.enqueue({ kind: name });
    const seen: string[] = [];
    const iterator = events.pubsub.subscribe('run:changed', run!.id)[Symbol.asyncIterator]();
    const collecting = (async () => {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        seen.push(next.value.run.status);
        if (next.value.run.status === 'COMPLETED') return;
      }
    })();
    await w.start();
    await collecting;
    expect(seen.at(-1)).toBe('COMPLETED');
    expect(seen.length).toBeLessThan(50);
    expect(await get(run!.id)).toMatchObject({ progress: { i: 10_000 } });
  });
});
