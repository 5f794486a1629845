import type { IncomingMessage, ServerResponse } from 'node:http';
import { stringify } from 'csv-stringify/sync';
import { NotFoundError } from '../services/errors.js';
import { requestCredentials, resolveViewer, type ViewerDeps } from './context.js';
import { sendJson } from './http.js';

const PAGE = 1000;
const COLUMNS = ['file', 'row', 'field', 'code', 'message', 'raw'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const nullWhenNotFound = (error: unknown): null => {
  if (error instanceof NotFoundError) return null;
  throw error;
};

/** `GET /imports/<id>/errors.csv|json`: every stored error of the viewer's batch, written page by page. */
export async function sendImportErrors(
  req: IncomingMessage,
  res: ServerResponse,
  params: { batchId: string; format: 'csv' | 'json' },
  deps: ViewerDeps,
): Promise<void> {
  const { viewer, credentialsRejected } = await resolveViewer(deps, requestCredentials(req));
  if (!viewer) {
    const error = credentialsRejected ? 'the token is invalid, expired or revoked; log in again' : 'log in first: send Authorization: Bearer <token>';
    return sendJson(res, 401, { error });
  }
  const pages = UUID.test(params.batchId)
    ? await deps.services.imports.errorPages(viewer.user.id, params.batchId, PAGE).catch(nullWhenNotFound)
    : null;
  if (!pages) return sendJson(res, 404, { error: 'no import with this id' });

  res.writeHead(200, {
    'content-type': params.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
    'content-disposition': `attachment; filename="import-${params.batchId}-errors.${params.format}"`,
  });
  res.write(params.format === 'csv' ? stringify([], { header: true, columns: COLUMNS }) : '[');
  let written = 0;
  for await (const page of pages) {
    const rows = page.map(({ file, row, field, code, message, raw }) => ({ file, row, field, code, message, raw }));
    if (params.format === 'csv') res.write(stringify(rows, { columns: COLUMNS }));
    else for (const row of rows) res.write(`${written++ === 0 ? '' : ','}\n${JSON.stringify(row)}`);
  }
  res.end(params.format === 'csv' ? '' : written ? '\n]' : ']');
}
