import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * What the next request gets instead of the file, or how its answer breaks. Faults are for the requests
 * after the probe (`Range: bytes=0-0`) unless `probe` says they are for it.
 */
export type Fault = { probe?: boolean } & (
  /** the next answer carrying the file stops after this many bytes and its connection is dropped */
  | { kind: 'drop'; afterBytes: number }
  /** the next request is answered with this status (and Retry-After when given) */
  | { kind: 'status'; status: number; retryAfter?: string }
);

export interface FakeFileOptions {
  size: number;
  seed?: number;
  /** answer Range requests with 206 (else every request gets the whole file, 200) */
  ranges?: boolean;
  /** send Content-Length (else the body is chunked and ranges are ignored) */
  lengthKnown?: boolean;
  /** per connection, bytes per second at most */
  bytesPerSecond?: number;
  contentDisposition?: string;
}

export interface RequestSeen {
  range: string | undefined;
  ifRange: string | undefined;
  status: number;
  at: number;
  /** body bytes written for this request */
  bytes: number;
  /** body bytes the server had written, all answers together, when this request came */
  sentBefore: number;
}

/** Deterministic bytes from a seed (xorshift32): the same seed always gives the same file. */
export function deterministicBytes(size: number, seed: number): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  let x = seed | 0 || 1;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buffer.writeInt32LE(x | 0, i);
  }
  for (; i < size; i++) buffer[i] = i & 255;
  return buffer;
}

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/**
 * A file server on 127.0.0.1 for the download engine's tests: deterministic content, Range support
 * that can be turned off, a per-connection rate cap, a count of open connections, queued faults
 * (dropped connections, 5xx, 503 with Retry-After, 416), a file that changes between requests, a
 * server that goes away for a while, and a hold that stops all sending at a given byte until released.
 */
export class FakeFileServer {
  readonly requests: RequestSeen[] = [];
  open = 0;
  maxOpen = 0;
  /** body bytes written, all answers together */
  bytesSent = 0;
  private content: Buffer;
  private version = 1;
  private readonly faults: Fault[] = [];
  private readonly sockets = new Set<Socket>();
  private holdAt: number | null = null;
  private held: { reached: () => void; released: Promise<void>; release: () => void } | null = null;
  private server: Server;
  private port = 0;

  private constructor(private readonly options: FakeFileOptions) {
    this.content = deterministicBytes(options.size, options.seed ?? 1);
    this.server = this.listen();
  }

  static async start(options: FakeFileOptions): Promise<FakeFileServer> {
    const fake = new FakeFileServer(options);
    fake.server.listen(0, '127.0.0.1');
    await once(fake.server, 'listening');
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  url(path = '/files/film.mkv'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  get bytes(): Buffer {
    return this.content;
  }

  get sha256(): string {
    return sha256(this.content);
  }

  get etag(): string {
    return `"v${this.version}"`;
  }

  set(options: Partial<FakeFileOptions>): void {
    Object.assign(this.options, options);
  }

  fault(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  /** A new version of the file (new bytes, new ETag); answers already going keep sending the old one. */
  change(seed: number): void {
    this.version++;
    this.content = deterministicBytes(this.options.size, seed);
  }

  /** Stops all sending once `bytesSent` reaches `at`; `reached` resolves then, `release()` lets it go on. */
  hold(at: number): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    const whenReached = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    this.holdAt = at;
    this.held = { reached, released, release };
    if (this.bytesSent >= at) reached();
    return {
      reached: whenReached,
      release: () => {
        this.holdAt = null;
        release();
      },
    };
  }

  /** Closes the port and every connection; listens again on the same port after `ms`. */
  async goAway(ms: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    setTimeout(() => {
      this.server = this.listen();
      this.server.listen(this.port, '127.0.0.1');
    }, ms).unref();
  }

  async close(): Promise<void> {
    this.held?.release();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private listen(): Server {
    const server = createServer((req, res) => void this.answer(req, res).catch(() => res.destroy()));
    server.keepAliveTimeout = 5_000;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      this.open++;
      this.maxOpen = Math.max(this.maxOpen, this.open);
      let gone = false;
      const left = () => {
        if (gone) return;
        gone = true;
        this.open--;
        this.sockets.delete(socket);
      };
      socket.on('end', left);
      socket.on('error', left);
      socket.on('close', left);
    });
    return server;
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const seen: RequestSeen = { range: req.headers.range, ifRange: req.headers['if-range'] as string | undefined, status: 0, at: Date.now(), bytes: 0, sentBefore: this.bytesSent };
    this.requests.push(seen);
    const content = this.content;
    const size = content.length;
    const isProbe = req.headers.range === 'bytes=0-0';
    const at = this.faults.findIndex((f) => !!f.probe === isProbe);
    const fault = at >= 0 ? this.faults.splice(at, 1)[0] : undefined;
    if (fault?.kind === 'status') {
      seen.status = fault.status;
      res.writeHead(fault.status, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
      return void res.end();
    }
    const { ranges = true, lengthKnown = true } = this.options;
    const headers: Record<string, string> = { etag: this.etag, 'last-modified': new Date(Date.UTC(2026, 0, this.version)).toUTCString() };
    if (this.options.contentDisposition) headers['content-disposition'] = this.options.contentDisposition;
    if (ranges && lengthKnown) headers['accept-ranges'] = 'bytes';
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'];
    const rangeApplies = ranges && lengthKnown && range && (!ifRange || ifRange === headers.etag || ifRange === headers['last-modified']);
    let start = 0;
    let end = size; // exclusive
    if (rangeApplies) {
      start = Number(range[1]);
      end = range[2] ? Math.min(size, Number(range[2]) + 1) : size;
      if (start >= size || end <= start) {
        seen.status = 416;
        res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` });
        return void res.end();
      }
      seen.status = 206;
      res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end - 1}/${size}`, 'content-length': String(end - start) });
    } else {
      seen.status = 200;
      res.writeHead(200, lengthKnown ? { ...headers, 'content-length': String(size) } : headers);
    }
    await this.send(res, content.subarray(start, end), fault?.kind === 'drop' ? fault.afterBytes : null, seen);
  }

  private async send(res: ServerResponse, body: Buffer, dropAfter: number | null, seen: RequestSeen): Promise<void> {
    const piece = 64 * 1024;
    const began = Date.now();
    let sent = 0;
    while (sent < body.length) {
      if (res.destroyed) return;
      let size = Math.min(piece, body.length - sent);
      if (dropAfter !== null) {
        size = Math.min(size, dropAfter - sent);
        if (size <= 0) {
          res.socket?.destroy();
          return;
        }
      }
      if (this.holdAt !== null) {
        size = Math.min(size, this.holdAt - this.bytesSent);
        if (size <= 0) {
          this.held!.reached();
          await this.held!.released;
          continue;
        }
      }
      const rate = this.options.bytesPerSecond;
      if (rate) {
        const due = began + (sent * 1000) / rate;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      const chunk = body.subarray(sent, sent + size);
      sent += size;
      this.bytesSent += size;
      seen.bytes += size;
      if (!res.write(chunk)) await drained(res);
    }
    res.end();
  }
}

/** Resolves once the answer can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
