/**
 * The checks that make `request.url` safe to build: the `Host` header and an absolute-form
 * request target come from the client, and the URL a handler sees is made from them. Node's
 * parser lets through any visible byte in a header value, so without these checks
 * `Host: x/admin#` would move the path, `Host: user:pass@x` would set a username and
 * `Host: x:99999` would make `new URL(request.url)` throw in the handler.
 *
 * Trade-off: a Host is checked against RFC 3986's `host [":" port]` (without percent-encoding,
 * which no client sends in a name) and then by the WHATWG URL parser, which is the parser the
 * handler will use. The last Host that passed is remembered, so a server that sees the same
 * Host on every request checks it once.
 *
 * Internal to the package: not exported from any entry point.
 *
 * @module
 */

// reg-name (unreserved and sub-delims), IPv4 or an IP literal, then an optional port.
const HOST_SYNTAX = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=]+)(?::([0-9]{0,5}))?$/;

let lastGoodHost = "";

/** True when `host` is a `Host` header value that can only name an authority. @internal */
export function isValidHost(host: string): boolean {
  if (host === lastGoodHost) return true;
  const match = HOST_SYNTAX.exec(host);
  if (match === null) return false;
  const port = match[1];
  if (port !== undefined && port !== "" && Number(port) > 65_535) return false;
  let url: URL;
  try {
    url = new URL(`http://${host}/`);
  } catch {
    return false;
  }
  if (url.username !== "" || url.password !== "" || url.pathname !== "/") return false;
  lastGoodHost = host;
  return true;
}

/**
 * Checks the `Host` lines of a request (raw name/value pairs). RFC 9112 §3.2: a server must
 * answer 400 to a request with more than one Host line or an invalid one (Node's parser keeps
 * the first and drops the rest, so two disagreeing proxies could route by different hosts).
 * Returns why the request must be refused, or `null` when its Host is acceptable. @internal
 */
export function hostLinesProblem(rawHeaders: readonly string[]): string | null {
  let seen = false;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length !== 4 || name.toLowerCase() !== "host") continue;
    if (seen) return "more than one Host header";
    seen = true;
    const value = rawHeaders[i + 1] as string;
    // An empty Host is what a client sends for a target without an authority: no host given.
    if (value !== "" && !isValidHost(value)) return "invalid Host header";
  }
  return null;
}

/** True when an absolute-form target (`http://…`) parses as a URL of the server's schemes. @internal */
export function isValidAbsoluteTarget(target: string): boolean {
  try {
    const url = new URL(target);
    return (
      (url.protocol === "http:" || url.protocol === "https:") &&
      url.username === "" &&
      url.password === "" &&
      isValidHost(url.host)
    );
  } catch {
    return false;
  }
}
