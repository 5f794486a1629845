/** SQLSTATE classes and socket errors that say "try again": the connection, not the work, failed. */
const TRANSIENT_SQLSTATE = /^(08|53|57P0|40001|40P01)/;
const TRANSIENT_SOCKET = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH']);

/** Whether a failure is worth another attempt after a backoff: the default for every run kind. */
export function isTransient(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && (TRANSIENT_SQLSTATE.test(e.code) || TRANSIENT_SOCKET.has(e.code))) return true;
  }
  return false;
}
