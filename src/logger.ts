import { pino, type Logger } from 'pino';
import { requestContext } from './request-context.js';

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

export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => {
      const store = requestContext.getStore();
      return store ? { reqId: store.requestId } : {};
    },
  });
}
