import { setMaxListeners } from 'node:events';
import type { HostBudget } from './host-budget.js';
import { discard, type HttpClient } from './http-client.js';
import type { PartFile } from './part-file.js';
import { failOnStatus, ifRange, otherVersion, parseContentRange, type Validators } from './probe.js';
import { pump } from './pump.js';
import { ConnectionRamp, driveRamp } from './ramp.js';
import { nextWork, position, type Range } from './ranges.js';
import { FileChangedError, withRetries, type RetryPolicy } from './retry.js';

/** What is fetched and how: ranged (many connections) or one stream from the start. */
export interface Plan {
  url: string;
  /** whose connection budget the transfer draws on */
  host: string;
  size: number | null;
  ranged: boolean;
  validators: Validators;
  /** ranged: the file's ranges and their progress; one stream: one range from 0 */
  ranges: Range[];
}

export interface TransferDeps {
  http: HttpClient;
  budget: HostBudget;
  retry: RetryPolicy;
  /** connections one download opens at most (KLUG_DOWNLOAD_CHUNKS) */
  connections: number;
  /** how long a count of connections runs before the ramp decides whether more would help */
  rampMs: number;
}

/** Fetches every byte the plan still lacks into the file; rejects with the first failure that retries did not cure. */
export async function transfer(plan: Plan, file: PartFile, deps: TransferDeps, signal: AbortSignal, onWritten: (bytes: number) => void): Promise<void> {
  if (!plan.ranged) {
    const range = plan.ranges[0]!;
    const release = await deps.budget.acquire(plan.host, signal);
    try {
      return await withRetries(() => fetchWhole(plan, range, file, deps.http, signal, onWritten), deps.retry, signal, () => range.done);
    } finally {
      release();
    }
  }
  const local = new AbortController();
  const linked = AbortSignal.any([signal, local.signal]);
  // every connection's request, body and backoff listen to it
  setMaxListeners(8 * deps.connections, linked);
  const busy = new Set<Range>();
  let failure: { error: unknown } | null = null;
  let written = 0;
  let drained = false;
  const counted = (bytes: number) => {
    written += bytes;
    onWritten(bytes);
  };

  // a connection takes a slot of the host's budget, then work (a range nobody has, or half of the
  // largest one left), fetches it with retries, gives the slot back, and goes again until none is left
  const connection = async () => {
    for (;;) {
      const release = await deps.budget.acquire(plan.host, linked);
      try {
        const range = nextWork(plan.ranges, busy);
        if (!range) return void (drained = true);
        busy.add(range);
        try {
          await withRetries(() => fetchRange(plan, range, file, deps.http, linked, counted), deps.retry, linked, () => range.done);
        } finally {
          busy.delete(range);
        }
      } finally {
        release();
      }
    }
  };

  const workers: Promise<void>[] = [];
  const addConnection = () =>
    workers.push(
      connection().catch((error: unknown) => {
        // the first failure stops the others; theirs (aborts) say nothing new
        if (!failure && !signal.aborted) {
          failure = { error };
          local.abort(error);
        }
      }),
    );
  const ramp = new ConnectionRamp(deps.connections);
  for (let i = 0; i < ramp.count; i++) addConnection();
  const stopRamp = driveRamp(ramp, deps.rampMs, () => written, addConnection, () => drained);
  try {
    // connections the ramp adds while this waits are waited for too
    for (let i = 0; i < workers.length; i++) await workers[i];
  } finally {
    stopRamp();
  }
  signal.throwIfAborted();
  if (failure) throw (failure as { error: unknown }).error;
}

async function fetchRange(plan: Plan, range: Range, file: PartFile, http: HttpClient, signal: AbortSignal, onWritten: (bytes: number) => void): Promise<void> {
  const from = position(range);
  if (from >= range.end) return;
  const response = await http.get(plan.url, { range: `bytes=${from}-${range.end - 1}`, 'accept-encoding': 'identity', ...ifRange(plan.validators) }, signal);
  try {
    failOnStatus(response);
    // If-Range answered with the whole file: it is not the version the other ranges came from
    if (response.status === 200) throw new FileChangedError('the server sent the whole file for a range');
    const answered = parseContentRange(response.headers['content-range']);
    if (answered?.total !== plan.size || otherVersion(plan.validators, response.headers)) throw new FileChangedError('the file upstream changed');
    if (answered.start !== from || answered.end < from) throw new Error('the server answered another range than the one asked');
  } catch (error) {
    discard(response.body);
    throw error;
  }
  await pump(response.body, file, range, parseContentRange(response.headers['content-range'])!.end + 1, onWritten);
}

/** No ranges: every try starts again from the first byte. */
async function fetchWhole(plan: Plan, range: Range, file: PartFile, http: HttpClient, signal: AbortSignal, onWritten: (bytes: number) => void): Promise<void> {
  range.done = 0;
  const response = await http.get(plan.url, { 'accept-encoding': 'identity' }, signal);
  try {
    failOnStatus(response);
    if (response.status === 206) throw new Error('the server answered a range that was not asked for');
    const length = response.headers['content-length'];
    if (otherVersion(plan.validators, response.headers) || (plan.size !== null && length !== undefined && Number(length) !== plan.size)) {
      throw new FileChangedError('the file upstream changed');
    }
  } catch (error) {
    discard(response.body);
    throw error;
  }
  await pump(response.body, file, range, plan.size, onWritten);
}
