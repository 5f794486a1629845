import type { RunStatus } from './run-status.js';

/** A run as stored: what any long work shares, whatever its kind. */
export interface RunRecord<Checkpoint = unknown> {
  id: string;
  kind: string;
  userId: string | null;
  /** the domain row the run works on (an import batch, a download, …) */
  subjectId: string | null;
  status: RunStatus;
  attempts: number;
  maxAttempts: number;
  runAfter: Date;
  node: string | null;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  heartbeatAt: Date | null;
  cancelRequested: boolean;
  pauseRequested: boolean;
  /** the kind's counters, as last saved */
  progress: Record<string, unknown>;
  /** where the work resumes after an interruption */
  checkpoint: Checkpoint | null;
  error: string | null;
  dedupeKey: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface NewRun {
  kind: string;
  userId?: string | null;
  subjectId?: string | null;
  /** keep the run on this replica (its files are on this disk) */
  node?: string | null;
  maxAttempts?: number;
  dedupeKey?: string | null;
  progress?: Record<string, unknown>;
  /** where the work starts (a retry that resumes what an earlier run of the same subject left) */
  checkpoint?: unknown;
  /** a run recorded as already over (a scheduled tick that was skipped) */
  status?: 'QUEUED' | 'CANCELLED';
  error?: string | null;
}
