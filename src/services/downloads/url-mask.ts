/** Query parameters that carry a secret, by name (case-insensitive). */
const SECRET_PARAMS = /^(pass(word)?|pwd|token|access_token|auth|api_?key|key|secret|signature|sig|username|user)$/i;
/** Xtream Codes puts the account in the path: `/movie/<user>/<pass>/<id>.ext`, `/series/…`, `/live/…`, `/timeshift/…`. */
const XTREAM_PATH = /^\/(movie|series|live|timeshift)\/[^/]+\/[^/]+\//i;
const MASK = '***';

/**
 * A URL as it may be shown or logged: the user and password of its userinfo, the account of an
 * Xtream-style path and secret query parameters replaced by `***`. Anything that does not parse is
 * shown as its scheme and host at most.
 */
export function maskUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return '[an invalid URL]';
  }
  if (url.username) url.username = MASK;
  if (url.password) url.password = MASK;
  const xtream = XTREAM_PATH.exec(url.pathname);
  if (xtream) url.pathname = `/${xtream[1]}/${MASK}/${MASK}/${url.pathname.slice(xtream[0].length)}`;
  for (const name of [...url.searchParams.keys()]) if (SECRET_PARAMS.test(name)) url.searchParams.set(name, MASK);
  // URLSearchParams would write `***` as `%2A%2A%2A`
  return url.toString().replaceAll('%2A%2A%2A', MASK);
}
