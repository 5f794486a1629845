import { discard, type ResponseBody } from './http-client.js';
import type { PartFile } from './part-file.js';
import { CutShortError } from './retry.js';
import { position, type Range } from './ranges.js';

/** bytes gathered at most while a write is in flight; past it the socket is no longer read */
export const BATCH_BYTES = 256 * 1024;

/**
 * Streams an answer into the file from the range's position, counting each byte written into
 * `range.done`. Stops at the range's end even when it moved closer meanwhile (another connection
 * took the rest). Memory stays bounded: bytes are written as soon as no write is in flight, and
 * while one is, at most BATCH_BYTES gather before the socket is no longer read, so TCP slows the
 * sender down. `answerEnd` is where the answer itself stops (exclusive); null when unknown.
 */
export async function pump(body: ResponseBody, file: PartFile, range: Range, answerEnd: number | null, onWritten: (bytes: number) => void): Promise<void> {
  let queued: Buffer[] = [];
  let queuedBytes = 0;
  let received = position(range);
  let writing: Promise<void> | null = null;

  const writeQueued = async () => {
    while (queuedBytes > 0) {
      const buffers = queued;
      const at = received - queuedBytes;
      queued = [];
      queuedBytes = 0;
      const kept = clip(buffers, range.end - at);
      if (kept.bytes === 0) continue;
      await file.write(kept.buffers, at);
      range.done += kept.bytes;
      onWritten(kept.bytes);
    }
  };
  const startWriting = () => {
    if (writing || queuedBytes === 0) return;
    writing = writeQueued().finally(() => (writing = null));
    // awaited below or at the end; until then a failed write must not count as unhandled
    writing.catch(() => undefined);
  };
  const writeAll = async () => {
    for (;;) {
      if (writing) await writing;
      else if (queuedBytes > 0) startWriting();
      else return;
    }
  };

  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      queued.push(chunk);
      queuedBytes += chunk.length;
      received += chunk.length;
      startWriting();
      // past a range that shrank: stop here (a range that ends with the answer reads it to its end,
      // so the connection can serve the next request)
      if (received >= range.end && (answerEnd === null || range.end < answerEnd)) break;
      if (queuedBytes >= BATCH_BYTES && writing) await writing;
    }
  } catch (error) {
    // what arrived before the connection failed is good: keep it
    await writeAll().catch(() => undefined);
    throw error;
  } finally {
    discard(body);
  }
  await writeAll();
  if (position(range) < range.end && range.end !== Number.POSITIVE_INFINITY) throw new CutShortError();
}

function clip(buffers: Buffer[], limit: number): { buffers: Buffer[]; bytes: number } {
  const out: Buffer[] = [];
  let bytes = 0;
  for (const buffer of buffers) {
    if (bytes >= limit) break;
    const take = Math.min(buffer.length, limit - bytes);
    out.push(take === buffer.length ? buffer : buffer.subarray(0, take));
    bytes += take;
  }
  return { buffers: out, bytes };
}
