import type { JobState } from '../jobs/scheduler.js';
import { AlreadyRunningError, NotFoundError } from '../services/errors.js';
import { builder } from './builder.js';
import { ErrorInterface, resultUnion } from './errors.js';
import { asUuid, NO_MATCH } from './ids.js';
import { successPayload } from './payloads.js';

export const RunStatusEnum = builder.enumType('RunStatus', {
  values: ['QUEUED', 'RUNNING', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED'] as const,
});

export const JobTriggerEnum = builder.enumType('JobTrigger', {
  values: { SCHEDULE: { description: 'a tick of its schedule' }, MANUAL: { description: 'runJob' } } as const,
});

export const JobType = builder.objectRef<JobState>('Job').implement({
  description: 'A piece of server upkeep that runs on a schedule (KLUG_JOB_<NAME>) or on demand',
  fields: (t) => ({
    name: t.exposeString('name'),
    schedule: t.exposeString('schedule', { nullable: true, description: 'cron expression in UTC; null when switched off' }),
    lastRunAt: t.expose('lastRunAt', { type: 'DateTime', nullable: true }),
    lastStatus: t.expose('lastStatus', { type: RunStatusEnum, nullable: true }),
    lastError: t.exposeString('lastError', { nullable: true }),
    nextRunAt: t.expose('nextRunAt', { type: 'DateTime', nullable: true }),
    running: t.exposeBoolean('running', { description: 'a run is queued or working, on any replica' }),
  }),
});

/** Owner-only: only the server's owner reads job runs. */
export const JobRunType = builder.prismaNode('Run', {
  name: 'JobRun',
  nullable: true,
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id: ctx.viewer?.user.isOwner ? asUuid(id) : NO_MATCH }),
  fields: (t) => ({
    name: t.string({ select: { kind: true }, resolve: (run) => run.kind.replace(/^job:/, '') }),
    status: t.expose('status', { type: RunStatusEnum }),
    trigger: t.field({ type: JobTriggerEnum, select: { dedupeKey: true }, resolve: (run) => (run.dedupeKey ? 'SCHEDULE' : 'MANUAL') }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    error: t.exposeString('error', { nullable: true }),
    result: t.expose('progress', { type: 'JSON', description: 'what the job reported, e.g. how many rows it purged' }),
  }),
});

builder.objectType(AlreadyRunningError, {
  name: 'AlreadyRunningError',
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof AlreadyRunningError,
});

// 'Run' is the model behind JobRunType
const RunJobSuccess = successPayload('RunJobSuccess', { field: 'run', model: 'Run', id: (result: { runId: string }) => result.runId });

export const RunJobResult = resultUnion('RunJobResult', RunJobSuccess, [NotFoundError, AlreadyRunningError]);
