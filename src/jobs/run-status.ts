/** The one place that knows a run's statuses and which of them are waiting, working or over. */
export type RunStatus = 'QUEUED' | 'RUNNING' | 'PAUSED' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
export type TerminalRunStatus = 'COMPLETED' | 'FAILED' | 'CANCELLED';

export const WAITING_STATUSES: readonly RunStatus[] = ['QUEUED', 'PAUSED'];
export const WORKING_STATUSES: readonly RunStatus[] = ['RUNNING'];
export const TERMINAL_STATUSES: readonly TerminalRunStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

export const isTerminal = (status: RunStatus): status is TerminalRunStatus =>
  (TERMINAL_STATUSES as readonly RunStatus[]).includes(status);
