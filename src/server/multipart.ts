import type { IncomingMessage, ServerResponse } from 'node:http';
import { processRequest } from 'graphql-upload-minimal';

export const CSRF_HEADERS = ['x-graphql-yoga-csrf', 'apollo-require-preflight'];
const MAX_FILES = 20;

export const isMultipart = (req: IncomingMessage) =>
  (req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data');

export class MultipartError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/**
 * Parses a GraphQL multipart request (the upload spec) into operations whose `Upload` values are streams,
 * so resolvers read files as they arrive. Browsers can send multipart cross-site without a preflight,
 * hence the required CSRF header.
 */
export async function parseMultipart(req: IncomingMessage, res: ServerResponse, maxFileBytes: number) {
  if (!CSRF_HEADERS.some((header) => req.headers[header] !== undefined)) {
    throw new MultipartError(
      403,
      'Multipart requests must send the `x-graphql-yoga-csrf` header (CSRF protection)',
      'CSRF_HEADER_REQUIRED',
    );
  }
  try {
    // one byte over our own limit, so a truncated stream tells the resolver the file was too large
    return await processRequest(req, res, { maxFileSize: maxFileBytes + 1, maxFiles: MAX_FILES });
  } catch (error) {
    const status = (error as { status?: number }).status ?? 400;
    throw new MultipartError(status, (error as Error).message, 'BAD_MULTIPART_REQUEST');
  }
}
