import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { AuthMode } from '../../config.js';
import { bearerToken, SESSION_COOKIE } from '../context.js';
import { cookieValue } from '../http.js';
import { CSRF_HEADERS } from '../multipart.js';

/** bodies any web page can post cross-site without a CORS preflight (an HTML form, `fetch` in no-cors mode) */
const FORM_BODIES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

/**
 * CSRF matters only where the browser adds the credentials by itself. A request that relies on the session
 * cookie must send a CSRF header (which a foreign page cannot add without a preflight, refused by CORS);
 * one with `Authorization` needs none, as does an anonymous GET (Yoga never runs a mutation over GET).
 * A form-like POST without a cookie still needs it: it could log a visitor into someone else's account,
 * and with KLUG_AUTH_MODE=disabled the server itself is the credential. Multipart is checked before Yoga.
 */
export function useCsrfProtection(authMode: AuthMode): Plugin {
  return {
    onRequestParse({ request }) {
      const { headers } = request;
      if (CSRF_HEADERS.some((header) => headers.has(header)) || bearerToken({ request })) return;
      const usesCookie = authMode !== 'disabled' && cookieValue(headers.get('cookie'), SESSION_COOKIE) !== null;
      if (usesCookie) throw csrfError('Requests signed in by the session cookie');
      const contentType = headers.get('content-type')?.toLowerCase();
      const formLike = !contentType || FORM_BODIES.some((type) => contentType.startsWith(type));
      if (request.method === 'POST' && formLike) throw csrfError('Form-encoded and plain-text posts');
    },
  };
}

const csrfError = (what: string) =>
  createGraphQLError(`${what} must send the \`x-graphql-yoga-csrf\` header (CSRF protection)`, {
    extensions: { code: 'CSRF_HEADER_REQUIRED', http: { status: 403 } },
  });
