import { pino, type DestinationStream, type Logger } from 'pino';
import { requestContext } from './request-context.js';
import { boundedForLog, scrubMessage, serializeError } from './log-safety.js';

export type { Logger };

/** Paths that may carry secrets are censored wherever they appear in a log line. */
const REDACT = [
  'password',
  '*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  '*.apiKey',
  'apiKey',
  'secretKey',
  '*.secretKey',
];

/**
 * JSON lines on stdout (or `destination`). Whatever is logged goes through `boundedForLog` first: errors keep
 * what identifies them and never their parameters, rows or values; every line stays short.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { log: (object) => boundedForLog(object) as Record<string, unknown> },
    // the errors are serialized already; pino's own serializer would copy every field back
    serializers: { err: (value: unknown) => (value instanceof Error ? serializeError(value) : value) },
    hooks: {
      // messages are scrubbed too; without one, pino would print the error's own, values and all
      logMethod(args, method) {
        const [first, ...rest] = args as unknown[];
        if (typeof first === 'string') return method.apply(this, [scrubMessage(first), ...rest] as never);
        const error = first instanceof Error ? first : (first as { err?: unknown } | null)?.err;
        const object = first instanceof Error ? { err: first } : first;
        const [message, ...values] = typeof rest[0] === 'string' ? rest : [error instanceof Error ? error.message : undefined, ...rest];
        return method.apply(this, (message === undefined ? [object, ...values] : [object, scrubMessage(message as string), ...values]) as never);
      },
    },
    mixin: () => {
      const store = requestContext.getStore();
      return store ? { reqId: store.requestId } : {};
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
