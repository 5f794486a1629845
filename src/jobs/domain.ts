import type { Job } from './scheduler.js';
import type { RunKind } from './run-kind.js';

/**
 * What a domain hands the server: its run kinds and scheduled jobs, what it recovers at start-up and
 * what it closes at shutdown. The server loops over domains instead of naming them.
 */
export interface Domain {
  name: string;
  kinds?: RunKind<any, any>[];
  jobs?: Job[];
  /** after the database is ready and before work is claimed */
  recover?(): Promise<void>;
  stop?(): Promise<void>;
}
