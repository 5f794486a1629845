import type { IncomingMessage, ServerResponse } from 'node:http';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendGraphQLError(res: ServerResponse, status: number, message: string, code: string): void {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] });
}

/** The caller's address: the socket's, or the first X-Forwarded-For hop when a trusted proxy sits in front. */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = req.headers['x-forwarded-for'];
  if (trustProxy && typeof forwarded === 'string' && forwarded.trim()) return forwarded.split(',')[0]!.trim();
  return req.socket.remoteAddress ?? 'unknown';
}

const REQUEST_ID = /^[\w.:-]{1,100}$/;

export function incomingRequestId(req: IncomingMessage): string | null {
  const value = req.headers['x-request-id'];
  return typeof value === 'string' && REQUEST_ID.test(value) ? value : null;
}

/** Where the client reached us: the Host header (and a trusted proxy's scheme), for links we hand out. */
export function requestOrigin(req: IncomingMessage, trustProxy: boolean): string {
  const forwardedProto = req.headers['x-forwarded-proto'];
  const proto = trustProxy && typeof forwardedProto === 'string' ? forwardedProto.split(',')[0]!.trim() : 'http';
  return `${proto}://${req.headers.host ?? 'localhost'}`;
}

/** One cookie's value from a Cookie header, or null when it is absent or empty. */
/** A malformed escape (`%zz`) is a value that matches no token, not a server error. */
function safeDecode(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

export function cookieValue(header: string | null | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return safeDecode(part.slice(at + 1).trim()) || null;
  }
  return null;
}
