import { randomUUID } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** Far above any real row (a review is at most 20,000 characters), far below what would strain memory. */
export const MAX_RECORD_BYTES = 1024 * 1024;

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const BOM = [0xef, 0xbb, 0xbf];

/**
 * Passes a CSV through unchanged, except that a record longer than `maxBytes` is never held: its bytes are
 * dropped as they arrive and a one-field placeholder record stands in its place, so the parser after it
 * keeps its memory bounded and its row count right. Quoting follows RFC 4180, as csv-parse reads it.
 */
export class RecordLimiter extends Transform {
  /** the placeholder starts with this, then the dropped byte count; no file can guess it */
  readonly marker = `\u0001klug-oversized-${randomUUID()}-`;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private dropped = 0;
  private quoted = false;
  /** in a quoted field, the chunk ended on a quote: it closes the field unless another quote follows */
  private quoteSeen = false;
  /** the byte before the current chunk, and where the first field starts (after a BOM) */
  private last = LF;
  private seen = 0;
  private firstField = 0;

  constructor(private readonly maxBytes = MAX_RECORD_BYTES) {
    super();
  }

  /** The size of the record a placeholder stands for, or null for a real record. */
  oversized(raw: string): number | null {
    return raw.startsWith(this.marker) ? Number(raw.slice(this.marker.length).trim()) : null;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.seen === 0 && BOM.every((byte, i) => chunk[i] === byte)) this.firstField = BOM.length;
    const out: Buffer[] = [];
    // bytes before `emitted` are in `out` (or dropped); the current record's content starts at `recordStart`
    let emitted = 0;
    let recordStart = 0;
    let quoted = this.quoted;
    let i = 0;
    if (this.quoteSeen) {
      this.quoteSeen = false;
      if (chunk[0] === QUOTE) i = 1;
      else quoted = false;
    }
    // the next quote, LF and CR at or after i (chunk.length when there is none), found with indexOf, not byte by byte
    const next = { [QUOTE]: -1, [LF]: -1, [CR]: -1 };
    const find = (byte: 0x22 | 0x0a | 0x0d) => {
      if (next[byte] < i) next[byte] = chunk.indexOf(byte, i) === -1 ? chunk.length : chunk.indexOf(byte, i);
      return next[byte];
    };
    while (i < chunk.length) {
      if (quoted) {
        const q = find(QUOTE);
        if (q >= chunk.length - 1) {
          this.quoteSeen = q === chunk.length - 1;
          break;
        }
        // a doubled quote is an escaped one; a single one closes the field
        if (chunk[q + 1] === QUOTE) i = q + 2;
        else {
          quoted = false;
          i = q + 1;
        }
        continue;
      }
      const j = Math.min(find(QUOTE), find(LF), find(CR));
      if (j === chunk.length) break;
      if (chunk[j] === QUOTE) {
        // a quote opens a quoted field only at the start of a field, as csv-parse reads it
        const before = j > 0 ? chunk[j - 1] : this.last;
        quoted = this.seen + j === this.firstField || before === COMMA || before === LF || before === CR;
        i = j + 1;
        continue;
      }
      const length = this.heldBytes + j - recordStart;
      if (this.dropped > 0 || length > this.maxBytes) {
        out.push(chunk.subarray(emitted, recordStart), this.placeholder(this.dropped + length));
        emitted = j;
      } else {
        out.push(...this.held);
      }
      this.held = [];
      this.heldBytes = 0;
      this.dropped = 0;
      recordStart = j + 1;
      i = j + 1;
    }
    this.quoted = quoted;
    this.seen += chunk.length;
    if (chunk.length > 0) this.last = chunk[chunk.length - 1]!;
    out.push(chunk.subarray(emitted, recordStart));
    this.hold(chunk.subarray(recordStart));
    const ready = Buffer.concat(out);
    if (ready.length > 0) this.push(ready);
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.dropped > 0) this.push(this.placeholder(this.dropped));
    else if (this.heldBytes > 0) this.push(Buffer.concat(this.held));
    done();
  }

  private hold(part: Buffer): void {
    if (part.length === 0) return;
    if (this.dropped === 0 && this.heldBytes + part.length <= this.maxBytes) {
      this.held.push(part);
      this.heldBytes += part.length;
      return;
    }
    this.dropped += this.heldBytes + part.length;
    this.held = [];
    this.heldBytes = 0;
  }

  private placeholder(bytes: number): Buffer {
    return Buffer.from(`${this.marker}${bytes}`);
  }
}
