import { GraphQLError } from 'graphql';
import { builder } from '../schema/builder.js';
import type { Context } from '../schema/context.js';
import { JobType, RunJobResult } from '../schema/jobs.js';
import { jobKind } from '../jobs/scheduler.js';
import { requireViewer } from './viewer.js';

function requireOwner(ctx: Context) {
  const viewer = requireViewer(ctx);
  if (!viewer.user.isOwner) throw new GraphQLError("Only the server's owner manages jobs", { extensions: { code: 'FORBIDDEN' } });
  return viewer;
}

builder.queryFields((t) => ({
  jobs: t.field({
    type: [JobType],
    description: "the server's jobs with their schedule and last run (owner only)",
    resolve: (_root, _args, ctx) => {
      requireOwner(ctx);
      return ctx.jobs.list();
    },
  }),
  jobRuns: t.prismaConnection({
    type: 'Run',
    cursor: 'id',
    description: 'every scheduled tick and manual run, newest first (owner only)',
    args: { name: t.arg.string() },
    resolve: (query, _root, args, ctx) => {
      requireOwner(ctx);
      const kinds = args.name ? [jobKind(args.name)] : ctx.jobs.names().map(jobKind);
      return ctx.prisma.run.findMany({ ...query, where: { kind: { in: kinds } }, orderBy: { id: 'desc' } });
    },
  }),
}));

builder.mutationField('runJob', (t) =>
  t.field({
    type: RunJobResult,
    description: 'queues a run of the job now; ALREADY_RUNNING while one is queued or running on any replica (owner only)',
    args: { name: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      requireOwner(ctx);
      const run = await ctx.jobs.runNow(args.name);
      return { runId: run.id };
    },
  }),
);
