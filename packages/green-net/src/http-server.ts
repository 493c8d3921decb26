/**
 * `@tendril/green-net/http-server`: `serveHttp` — a web-standard `(request) => Response`
 * handler per request, each in its own green thread, on `node:http` — without undici.
 *
 * @module
 */

/** Refuse to load on Node.js older than 20.12, with a clear message; evaluated before any other module. */
import "./node-version.js";

/** The codes of this package's errors (they extend `@tendril/core`'s `TendrilErrorCodes`). */
export type { GreenNetErrorCode } from "./error-codes.js";
/** HTTP server: a web-standard handler per request, each in its own green thread, on node:http. */
export {
  type AccessLogEntry,
  type AccessLogFormat,
  type AccessLogSink,
  formatAccessLog,
} from "./http-server/access-log.js";
export { HttpServer } from "./http-server/http-server.js";
export { RequestTooLarge } from "./http-server/limits.js";
export { Response } from "./http-server/response.js";
export {
  type CloseOptions,
  type HttpHandler,
  type HttpListenerLike,
  type ServeHttpInfo,
  type ServeHttpOptions,
  serveHttp,
} from "./http-server/serve-http.js";
export { ServerRequest } from "./http-server/server-request.js";
