/**
 * The tracking URI may carry a password (http://user:password@host, as MLflow's
 * client accepts). Only the writer thread's HTTP client reads it; everything a
 * person or a file can see gets one of the forms below.
 */

/**
 * user:password@ → user:***@, and a lone user (often a token) → ***@. Everything between
 * '://' and the LAST '@' counts as credentials, so an unencoded '/' or '@' in a password
 * is hidden too (an '@' in the path hides a little too much, which is the safe side).
 */
export function redactCredentials(uri: string): string {
  const start = uri.indexOf('://');
  if (start < 0) return uri;
  const at = uri.lastIndexOf('@');
  if (at < start + 3) return uri;
  const userinfo = uri.slice(start + 3, at);
  const colon = userinfo.indexOf(':');
  return `${uri.slice(0, start + 3)}${colon < 0 ? '***' : `${userinfo.slice(0, colon)}:***`}${uri.slice(at)}`;
}

/** The URI without any credentials, for the spool's state and messages of the writer thread. */
export function withoutCredentials(uri: string): string {
  try {
    const u = new URL(uri);
    u.username = '';
    u.password = '';
    return u.href.replace(/\/$/, '');
  } catch {
    return redactCredentials(uri);
  }
}

const URL_FIX = "pass http(s)://host:port (port 1 to 65535; percent-encode '@', ':' and '/' inside a user name or password), file:/path, or a directory path.";

/**
 * A tracking URI that the writer thread will be able to use, checked where the logger is made.
 * `source` names where it came from (the option or MLFLOW_TRACKING_URI) for the message, which
 * shows the URI with its password redacted and never carries the parser's error (it holds the input).
 */
export function checkTrackingUri(uri: unknown, source: string): string {
  if (typeof uri !== 'string' || uri.length === 0) throw new TypeError(`ranklog: ${source} is ${typeof uri === 'string' ? '""' : String(uri)}; ${URL_FIX}`);
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  const isUrl = uri.includes('://') || scheme === 'file';
  if (!isUrl) return uri; // a directory path (of the file store)
  const shown = JSON.stringify(redactCredentials(uri));
  if (scheme !== 'http' && scheme !== 'https' && scheme !== 'file') {
    throw new TypeError(`ranklog: ${source} is ${shown}; ranklog talks to MLflow over http(s) or writes its file store: ${URL_FIX}`);
  }
  let valid = true;
  try {
    new URL(uri);
  } catch {
    valid = false; // not rethrown: a TypeError from URL keeps the input, password included
  }
  if (!valid) throw new TypeError(`ranklog: ${source} is ${shown}, which is not a valid URL; ${URL_FIX}`);
  return uri;
}
