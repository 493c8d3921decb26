/**
 * The body of each request's green thread: call the handler, write what it answers, and on
 * every path — a synchronous answer, an awaited one, a failure — hand the request's slot back
 * to the server. A handler that answers synchronously is served without a single promise.
 *
 * Internal to the package: not exported from any entry point.
 *
 * @module
 */

import type { Exchange } from "./exchange.js";
import { writeResponse } from "./write-response.js";

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as PromiseLike<unknown>).then === "function"
  );
}

/**
 * The body of a request's thread. A handler that answers synchronously is served without a
 * single promise; the others continue in `finishAsync`. @internal
 */
export function runExchange(ex: Exchange): Promise<void> | undefined {
  const server = ex.owner;
  let written: Promise<void> | undefined;
  try {
    const result: unknown = server._handle(ex);
    if (isThenable(result)) return finishAsync(ex, result);
    written = writeResponse(ex, result);
  } catch (error) {
    server._failed(ex, error);
  }
  if (written === undefined) {
    server._release(ex);
    return undefined;
  }
  return finishAsync(ex, written, true);
}

async function finishAsync(
  ex: Exchange,
  pending: PromiseLike<unknown>,
  writing = false,
): Promise<void> {
  const server = ex.owner;
  try {
    const result = await pending;
    if (!writing) {
      const written = writeResponse(ex, result);
      if (written !== undefined) await written;
    }
  } catch (error) {
    server._failed(ex, error);
  } finally {
    server._release(ex);
  }
}
