import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config.js';
import { graphql } from './gql/index.js';
import { createTestDatabase } from './support/database.js';
import { startTestServer, type TestServer } from './support/server.js';

const JOBS = graphql(`
  query Jobs {
    jobs {
      name
      schedule
      lastRunAt
      lastStatus
      lastError
      nextRunAt
      running
    }
  }
`);
const JOB_RUNS = graphql(`
  query JobRuns($name: String, $first: Int) {
    jobRuns(name: $name, first: $first) {
      edges {
        node {
          id
          name
          status
          trigger
          startedAt
          finishedAt
          error
          result
        }
      }
    }
  }
`);
const RUN_JOB = graphql(`
  mutation RunJob($name: String!) {
    runJob(name: $name) {
      __typename
      ... on RunJobSuccess {
        run {
          id
          name
          status
          trigger
        }
      }
      ... on Error {
        code
        message
        path
      }
    }
  }
`);

let server: TestServer;
let owner: { token: string };
beforeAll(async () => {
  server = await startTestServer();
  owner = await server.newPerson(); // the first person is the server's owner
});
afterAll(() => server.stop());

describe('jobs', () => {
  it('lists each job with its schedule and next run, and nothing run yet', async () => {
    const data = await server.gql(JOBS, {}, { token: owner.token });
    const purge = data.jobs.find((j) => j.name === 'purge-expired');
    expect(purge).toMatchObject({ schedule: '17 3 * * *', lastRunAt: null, lastStatus: null, running: false });
    expect(new Date(purge!.nextRunAt as string).getUTCMinutes()).toBe(17);
  });

  it('runJob queues a run that is recorded with what it did', async () => {
    const started = await server.gql(RUN_JOB, { name: 'purge-expired' }, { token: owner.token });
    expect(started.runJob).toMatchObject({ __typename: 'RunJobSuccess', run: { name: 'purge-expired', trigger: 'MANUAL' } });
    await server.app.runs.idle();
    const runs = await server.gql(JOB_RUNS, { name: 'purge-expired', first: 5 }, { token: owner.token });
    const run = runs.jobRuns.edges[0]!.node;
    expect(run).toMatchObject({ status: 'COMPLETED', trigger: 'MANUAL', error: null, result: { shareLinks: 0, sessions: 0 } });
    expect(run.finishedAt).toBeTruthy();
    const jobs = await server.gql(JOBS, {}, { token: owner.token });
    expect(jobs.jobs.find((j) => j.name === 'purge-expired')).toMatchObject({ lastStatus: 'COMPLETED', running: false });
  });

  it('answers NOT_FOUND for an unknown job and FORBIDDEN to anyone but the owner', async () => {
    const unknown = await server.gql(RUN_JOB, { name: 'no-such-job' }, { token: owner.token });
    expect(unknown.runJob).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND', path: ['name'] });
    const person = await server.newPerson();
    const jobs = await server.request(JOBS, {}, { token: person.token });
    expect(jobs.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    const history = await server.request(JOB_RUNS, {}, { token: person.token });
    expect(history.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    const refused = await server.request(RUN_JOB, { name: 'purge-expired' }, { token: person.token });
    expect(refused.body.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });
});

describe('one run of a job at a time, and schedules from settings', () => {
  it('answers ALREADY_RUNNING while a run of the job is queued', async () => {
    const own = await startTestServer();
    try {
      const first = await own.newPerson();
      await own.app.runs.stop(); // nothing is worked on: the first run stays queued
      const queued = await own.gql(RUN_JOB, { name: 'purge-expired' }, { token: first.token });
      expect(queued.runJob.__typename).toBe('RunJobSuccess');
      const again = await own.gql(RUN_JOB, { name: 'purge-expired' }, { token: first.token });
      expect(again.runJob).toMatchObject({ __typename: 'AlreadyRunningError', code: 'ALREADY_RUNNING' });
      const jobs = await own.gql(JOBS, {}, { token: first.token });
      expect(jobs.jobs.find((j) => j.name === 'purge-expired')?.running).toBe(true);
    } finally {
      await own.stop();
    }
  });

  it('runs a job on the schedule KLUG_JOB_<NAME> gives, and records the tick', async () => {
    const own = await startTestServer({ env: { KLUG_JOB_PURGE_EXPIRED: '* * * * * *' } });
    try {
      const first = await own.newPerson();
      const queued = await nextQueued(own, 'job:purge-expired');
      expect(queued).toBe(true);
      await own.app.runs.idle();
      const runs = await own.gql(JOB_RUNS, { name: 'purge-expired' }, { token: first.token });
      const scheduled = runs.jobRuns.edges.map((e) => e.node).filter((r) => r.trigger === 'SCHEDULE');
      expect(scheduled.length).toBeGreaterThan(0);
      expect(scheduled.some((r) => r.status === 'COMPLETED')).toBe(true);
      const jobs = await own.gql(JOBS, {}, { token: first.token });
      expect(jobs.jobs.find((j) => j.name === 'purge-expired')?.schedule).toBe('* * * * * *');
    } finally {
      await own.stop();
    }
  });

  it('refuses a schedule that is not cron or off, and a job that does not exist, naming the variable', async () => {
    for (const [env, message] of [
      [{ KLUG_JOB_PURGE_EXPIRED: 'every day' }, /KLUG_JOB_PURGE_EXPIRED: "every day" is not a cron expression/],
      [{ KLUG_JOB_NOT_A_JOB: 'off' }, /KLUG_JOB_NOT_A_JOB: no such job/],
    ] as const) {
      const database = await createTestDatabase();
      try {
        await expect(startTestServer({ database, env })).rejects.toThrow(message);
        await expect(startTestServer({ database, env })).rejects.toBeInstanceOf(ConfigError);
      } finally {
        await database.drop();
      }
    }
  });
});

/** Resolves once a run of `kind` is queued on the server's event bus. */
async function nextQueued(server: TestServer, kind: string): Promise<boolean> {
  const iterator = server.app.events.pubsub.subscribe('run:queued')[Symbol.asyncIterator]();
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) if (next.value.kind === kind) return true;
    return false;
  } finally {
    await iterator.return?.();
  }
}
