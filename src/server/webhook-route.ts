import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RawSql } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services/index.js';
import { recordWebhookPlay } from '../services/janitor/webhook.js';
import { sendJson } from './http.js';

export const JELLYFIN_WEBHOOK_PATH = /^\/webhooks\/jellyfin\/([0-9a-f-]{36})$/i;
const MAX_BODY = 256 * 1024;

/** The connection's secret: `X-Klug-Secret`, `Authorization: Bearer …`, or `?secret=` for senders without headers. */
function secretOf(req: IncomingMessage): string | null {
  const header = req.headers['x-klug-secret'];
  if (typeof header === 'string' && header.trim()) return header.trim();
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (bearer) return bearer[1]!;
  return new URL(req.url ?? '/', 'http://local').searchParams.get('secret');
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `POST /webhooks/jellyfin/<server id>`: the Jellyfin Webhook plugin's generic destination, with "Send All
 * Properties" (it sends `text/plain` unless told otherwise: the body is read as JSON whatever its type).
 * An unknown server and a wrong secret get the same 401, so ids cannot be probed.
 */
export async function receiveJellyfinWebhook(req: IncomingMessage, res: ServerResponse, serverId: string, deps: { services: Services; sql: RawSql; log: Logger }): Promise<void> {
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return sendJson(res, 405, { error: 'method not allowed' });
  }
  const secret = secretOf(req);
  const server = secret ? await deps.services.mediaServers.webhookServer(serverId.toLowerCase(), secret) : null;
  if (!server) return sendJson(res, 401, { error: 'unknown server or wrong secret' });
  const text = await readBody(req);
  if (text === null) return sendJson(res, 413, { error: `the body is larger than ${MAX_BODY / 1024} KB` });
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return sendJson(res, 400, { error: 'the body is not JSON: enable "Send All Properties" in the webhook' });
  }
  const outcome = await recordWebhookPlay(deps.sql, server, payload);
  deps.log.info({ mediaServer: server.id, recorded: outcome.recorded }, 'jellyfin webhook');
  sendJson(res, 200, outcome);
}
