/**
 * What may reach a log line. Driver errors carry the statement's parameters (PGlite: `query`, `params`),
 * pg's `detail` repeats the row or key that failed, and Prisma's messages print the call's arguments: a
 * log line of an import's failure could hold megabytes of someone's history. Errors are reduced to what
 * identifies them; values in quotes are elided from messages; strings, lists and nesting are bounded.
 */

const MAX_MESSAGE = 200;
const MAX_STRING = 300;
const MAX_ITEMS = 10;
const MAX_DEPTH = 4;
const MAX_FRAMES = 8;
/** where a database error happened (names from the schema, never values) */
const DATABASE_FIELDS = ['table', 'column', 'constraint', 'schema', 'dataType', 'severity'] as const;
/** a quoted word that names something (a table, an index, a variable) rather than quoting a value */
const NAME = /^[\w$.:-]{1,63}$/;

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

/** A message with quoted values elided, on one line, at most MAX_MESSAGE characters. */
export function scrubMessage(message: string): string {
  // Prisma's messages end with the reason, after the call, its source lines and, at times, its arguments
  const reason = /^\s*Invalid `[^`\n]*` invocation/.test(message)
    ? (message.split(/\n\s*→[^\n]*\n/).at(-1)?.split(/\n\s*\n/).at(-1) ?? '')
    : message;
  const elided = cut(reason, 4 * MAX_MESSAGE).replace(/"[^"\n]*"|'[^'\n]*'/g, (quoted) =>
    NAME.test(quoted.slice(1, -1)) ? quoted : `${quoted[0]}…${quoted[0]}`,
  );
  return cut(elided.replace(/\s+/g, ' ').trim(), MAX_MESSAGE);
}

/** An error as a log line may show it: its type, code, scrubbed message, where it happened, its cause. */
export function serializeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const fields = error as Error & Record<string, unknown>;
  const out: Record<string, unknown> = { type: cut(error.name, 60), message: scrubMessage(error.message) };
  if (typeof fields.code === 'string' || typeof fields.code === 'number') out.code = cut(String(fields.code), 40);
  for (const key of DATABASE_FIELDS) if (typeof fields[key] === 'string') out[key] = cut(fields[key], 63);
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  if (frames.length > 0) out.stack = frames.slice(0, MAX_FRAMES).map((line) => cut(line.trim(), MAX_STRING)).join('\n');
  // GraphQL wraps the error a resolver threw as originalError
  const cause = fields.cause ?? fields.originalError;
  if (cause !== undefined && cause !== null && depth < 2) out.cause = serializeError(cause, depth + 1);
  return out;
}

/** Any value logged, made safe: errors serialized, strings and lists cut, nesting bounded. */
export function boundedForLog(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return serializeError(value);
  if (typeof value === 'string') return cut(value, MAX_STRING);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? `[${value.length} items]` : '[object]';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((item) => boundedForLog(item, depth + 1));
    return value.length > MAX_ITEMS ? [...items, `… ${value.length - MAX_ITEMS} more`] : items;
  }
  const keys = Object.keys(value);
  const kept = keys.slice(0, 4 * MAX_ITEMS).map((key) => [key, boundedForLog((value as Record<string, unknown>)[key], depth + 1)]);
  return Object.fromEntries(keys.length > kept.length ? [...kept, ['…', `${keys.length - kept.length} more`]] : kept);
}
