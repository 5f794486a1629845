import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.js';

/** A logger at the most verbose level whose every line is kept, for tests that read what the server logs. */
export function capturedLogs(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { log: createLogger('trace', sink), lines };
}
