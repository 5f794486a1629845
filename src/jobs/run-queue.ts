import type { NewRun, RunRecord } from './run-record.js';

/** What services may ask of the runs mechanism: queue work, and stop, pause or resume it. */
export interface RunQueue {
  /** this replica, for runs that must stay on it */
  readonly node: string;
  enqueue(run: NewRun): Promise<RunRecord | null>;
  latestFor(kind: string, subjectId: string): Promise<RunRecord | null>;
  cancel(id: string): Promise<RunRecord | null>;
  pause(id: string): Promise<RunRecord | null>;
  resume(id: string): Promise<RunRecord | null>;
}
