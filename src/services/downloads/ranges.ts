/** A byte range of the file (end exclusive) and how many of its bytes, from its start, are written. */
export interface Range {
  start: number;
  end: number;
  done: number;
}

export const MIN_RANGE = 1024 * 1024;
/** split points fall on this boundary, so writes stay aligned */
const ALIGN = 64 * 1024;

/** `size` bytes in at most `count` ranges of at least MIN_RANGE each (one range for a small file). */
export function split(size: number, count: number): Range[] {
  const n = Math.max(1, Math.min(count, Math.floor(size / MIN_RANGE)));
  const ranges: Range[] = [];
  for (let i = 0, start = 0; i < n; i++) {
    const end = i === n - 1 ? size : Math.max(start + 1, Math.floor(((i + 1) * size) / n / ALIGN) * ALIGN);
    ranges.push({ start, end, done: 0 });
    start = end;
  }
  return ranges;
}

export const remaining = (r: Range) => r.end - r.start - r.done;
export const position = (r: Range) => r.start + r.done;

/**
 * Work for a connection that has none: a range nobody works on, else the second half of the largest
 * range still being fetched (its owner stops where the new one starts). Null when nothing is worth it.
 */
export function nextWork(ranges: Range[], busy: ReadonlySet<Range>): Range | null {
  const idle = ranges.find((r) => !busy.has(r) && remaining(r) > 0);
  if (idle) return idle;
  let largest: Range | null = null;
  for (const r of busy) if (!largest || remaining(r) > remaining(largest)) largest = r;
  if (!largest || remaining(largest) < 2 * MIN_RANGE) return null;
  const from = position(largest);
  const cut = Math.max(from + MIN_RANGE, Math.floor((from + remaining(largest) / 2) / ALIGN) * ALIGN);
  const stolen: Range = { start: cut, end: largest.end, done: 0 };
  largest.end = cut;
  ranges.splice(ranges.indexOf(largest) + 1, 0, stolen);
  return stolen;
}

export const bytesDone = (ranges: Range[]) => ranges.reduce((sum, r) => sum + r.done, 0);
export const copyRanges = (ranges: Range[]): Range[] => ranges.map(({ start, end, done }) => ({ start, end, done }));

/** Whether saved ranges describe a file of this size exactly: contiguous, in order, none overrun. */
export function coherent(ranges: Range[], size: number): boolean {
  let at = 0;
  for (const r of ranges) {
    if (r.start !== at || r.end <= r.start || r.done < 0 || r.done > r.end - r.start) return false;
    at = r.end;
  }
  return at === size;
}
