/**
 * A file server in a process of its own for bench/downloads.ts: Klug, aria2c and curl all fetch from it,
 * and none shares its event loop. Serves BENCH_FILE at /file and its first N bytes at /head/<N>, with
 * Range (206), ETag and Content-Length; BENCH_RATE caps each connection at that many bytes per second.
 * Prints `{ url }` on one line.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const file = process.env.BENCH_FILE!;
const rate = Number(process.env.BENCH_RATE ?? 0);
const fileSize = statSync(file).size;

const server = createServer((req, res) => {
  const head = /^\/head\/(\d+)/.exec(req.url ?? '');
  const size = head ? Math.min(fileSize, Number(head[1])) : fileSize;
  const headers = { etag: `"${fileSize}-${size}"`, 'accept-ranges': 'bytes', 'last-modified': new Date(0).toUTCString() };
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  let start = 0;
  let end = size - 1;
  if (range) {
    start = Number(range[1]);
    end = range[2] ? Math.min(size - 1, Number(range[2])) : size - 1;
    if (start >= size || end < start) return void res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` }).end();
    res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': String(end - start + 1) });
  } else {
    res.writeHead(200, { ...headers, 'content-length': String(size) });
  }
  if (req.method === 'HEAD' || size === 0) return void res.end();
  const stream = createReadStream(file, { start, end, highWaterMark: rate ? 64 * 1024 : 256 * 1024 });
  if (!rate) {
    stream.pipe(res);
    res.on('close', () => stream.destroy());
    return;
  }
  void paced(stream, res).catch(() => res.destroy());
});
server.keepAliveTimeout = 10_000;

/** Writes at most `rate` bytes per second since the answer began. */
async function paced(stream: AsyncIterable<Buffer> & { destroy(): void }, res: ServerResponse): Promise<void> {
  const began = performance.now();
  let sent = 0;
  try {
    for await (const chunk of stream) {
      if (res.destroyed) return;
      const due = began + (sent * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      sent += chunk.length;
      if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
    }
    res.end();
  } finally {
    stream.destroy();
  }
}

server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
