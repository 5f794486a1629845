import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a fault does to a request: never answer, answer a status, or answer 200 with a body that is not JSON. */
export type FaultResponse = 'hang' | 'bad-json' | number;

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
}

interface Fault {
  match: RegExp;
  remaining: number;
  respond: FaultResponse;
}

interface Gate {
  match: RegExp;
  open: Promise<void>;
  arrived: () => void;
}

/**
 * The plumbing both fake media servers share: a server on 127.0.0.1, a log of what was asked, faults on
 * demand (matched against path and query) and gates that hold requests until released, so a test waits
 * on outcomes instead of sleeping.
 */
export abstract class FakeUpstream {
  readonly requests: SeenRequest[] = [];
  private readonly faults: Fault[] = [];
  private readonly gates: Gate[] = [];
  private server!: Server;
  url = '';

  /** The next `times` requests whose path and query match answer `respond`. */
  fail(match: RegExp, times: number, respond: FaultResponse): this {
    this.faults.push({ match, remaining: times, respond });
    return this;
  }

  /** Requests that match wait until `release()`; `arrived` resolves when the first one waits. */
  gate(match: RegExp): { release: () => void; arrived: Promise<void> } {
    let release!: () => void;
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const gate: Gate = { match, open: new Promise<void>((resolve) => (release = resolve)), arrived };
    this.gates.push(gate);
    return {
      release: () => {
        this.gates.splice(this.gates.indexOf(gate), 1);
        release();
      },
      arrived: arrival,
    };
  }

  seen(match: RegExp): SeenRequest[] {
    return this.requests.filter((r) => match.test(`${r.path}?${r.query.toString()}`));
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  protected abstract answer(req: SeenRequest, res: ServerResponse): void;

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname === '/__stats') return sendJson(res, 200, { requests: this.requests.length });
    const seen: SeenRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers };
    this.requests.push(seen);
    const target = `${url.pathname}?${url.searchParams.toString()}`;
    const fault = this.faults.find((f) => f.remaining > 0 && f.match.test(target));
    if (fault) {
      fault.remaining--;
      if (fault.respond === 'hang') return; // the client's timeout ends it
      if (fault.respond === 'bad-json') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"Items":[{"Name":"cut sh');
      return sendJson(res, fault.respond, { message: 'Internal Server Error' });
    }
    const gate = this.gates.find((g) => g.match.test(target));
    if (gate) {
      gate.arrived();
      await gate.open;
      if (res.destroyed) return;
    }
    this.answer(seen, res);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
}

/** A query parameter whatever the case of its name (ASP.NET binds them case-insensitively). */
export function param(query: URLSearchParams, name: string): string | null {
  for (const [key, value] of query) if (key.toLowerCase() === name.toLowerCase()) return value;
  return null;
}
