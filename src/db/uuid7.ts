import { randomFillSync } from 'node:crypto';

/** Random bytes drawn 4 KiB at a time: a bulk insert asks for thousands of ids, one crypto call per 256. */
const pool = Buffer.alloc(4096);
let offset = pool.length;
const bytes = Buffer.alloc(16);

/** A UUIDv7 (RFC 9562): milliseconds first, so ids generated for bulk inserts sort like Prisma's. */
export function uuid7(now = Date.now()): string {
  if (offset + 16 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  pool.copy(bytes, 0, offset, offset + 16);
  offset += 16;
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
