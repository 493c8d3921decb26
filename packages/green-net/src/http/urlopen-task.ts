/**
 * The life of one `urlopen` call: its concurrency slot, its abort signal, and its hops when
 * redirects are followed — all behind a single green operation, so the common case (no
 * redirect) costs one promise and the thread waits in one place whatever happens.
 *
 * The task is what the first hop's `Exchange` reports its headers to. A final response is
 * handed to the waiting thread at once, from undici's callback; a redirect (or an error status
 * with `throwHttpErrors`) is handled by a follow-up that runs detached — with plain promises,
 * never green operations, since undici's callbacks do not run in the caller's thread — and
 * settles the same waiter when done. Interrupting the caller aborts whichever hop is current.
 *
 * The concurrency slot is taken once for the whole call and handed to the final response's
 * exchange, which gives it back when the body has been read (or failed).
 *
 * The request also belongs to the calling thread's scope for as long as it is open (see
 * `interrupt/scope-binding.ts`): a kill, or a deadline of that scope, that comes while the body
 * is being read through `response.body` — or before anyone reads it at all — aborts the
 * request and frees its slot, not only one that comes while `urlopen` itself waits.
 *
 * @module
 */

import type { Waiter } from "@tendril/core";
import type { Dispatcher } from "undici";
import { bindToCurrentScope } from "../interrupt/scope-binding.js";
import { unwatched } from "../interrupt/watch-io.js";
import type { Gate } from "./concurrency.js";
import { HttpError, HttpRequestError, TooManyRedirects } from "./errors.js";
import { Exchange } from "./exchange.js";
import type { HttpResponse } from "./http-response.js";

const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const PREVIEW_BYTES = 64 * 1024;
// Credentials never follow a redirect to another origin (undici and the Fetch standard agree);
// `host` names the first origin and would misdirect any other hop.
const STRIP_CROSS_ORIGIN = new Set(["authorization", "cookie", "proxy-authorization", "host"]);
const BODY_HEADERS = new Set([
  "content-type",
  "content-length",
  "content-encoding",
  "content-language",
  "transfer-encoding",
]);

/**
 * One redirect about to be followed, as `beforeRedirect` sees it: the URL that answered with a
 * redirect, the absolute URL it leads to, the status, and the method the next request will use
 * (`GET` after a 303, or a 301/302 to a POST).
 *
 * @example
 * ```ts
 * const hop: RedirectHop = { from: new URL("http://a.test/"), to: new URL("http://b.test/"), status: 302, method: "GET" };
 * ```
 */
export interface RedirectHop {
  readonly from: URL;
  readonly to: URL;
  readonly status: number;
  readonly method: string;
}

/**
 * The per-hop redirect hook of `urlopen`: called before each redirect is followed — for every
 * location, even one the client would refuse itself (another scheme). Return — or
 * resolve — to follow the hop; throw — or reject — to refuse it: `urlopen` then rejects with
 * that error and nothing is sent to `hop.to`. It runs outside the calling green thread (in the
 * HTTP client's callbacks, as the redirects themselves do): a kill or Timeout of the caller
 * ends the `urlopen` call at once, and whatever the hook still resolves is then ignored.
 *
 * @example
 * ```ts
 * const sameHostOnly: BeforeRedirect = ({ from, to }) => {
 *   if (to.hostname !== from.hostname) throw new Error(`refusing a redirect to ${to.href}`);
 * };
 * await urlopen(url, { beforeRedirect: sameHostOnly });
 * ```
 */
export type BeforeRedirect = (hop: RedirectHop) => void | PromiseLike<void>;

/** @internal Everything one call needs, resolved from the client's defaults and its init. */
export interface UrlopenPlan {
  agent: Dispatcher;
  gate: Gate | null;
  limit: number;
  headersTimeout: number;
  bodyTimeout: number;
  redirect: "follow" | "manual" | "error";
  maxRedirects: number;
  throwHttpErrors: boolean;
  beforeRedirect: BeforeRedirect | null;
  signal: AbortSignal | null;
  method: string;
  headers: string[];
  body: unknown;
  replayable: boolean;
}

function withoutHeaders(headers: string[], drop: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (!drop.has(headers[i] as string)) out.push(headers[i] as string, headers[i + 1] as string);
  }
  return out;
}

/** @internal One `urlopen` call; see the module comment. */
export class UrlopenTask {
  readonly #plan: UrlopenPlan;
  readonly #waiter: Waiter<HttpResponse>;
  readonly #original: string;
  #current: Exchange | null = null;
  #leave: (() => void) | null = null;
  #cleanup: (() => void) | null = null;
  #settled = false;

  constructor(plan: UrlopenPlan, waiter: Waiter<HttpResponse>, url: URL) {
    this.#plan = plan;
    this.#waiter = waiter;
    this.#original = url.href;
    const signal = plan.signal;
    let removeListener: (() => void) | null = null;
    if (signal !== null) {
      const onAbort = (): void => {
        this.#current?.abort(signal.reason);
        this.#fail(signal.reason);
      };
      signal.addEventListener("abort", onAbort);
      removeListener = () => signal.removeEventListener("abort", onAbort);
    }
    const binding = bindToCurrentScope((reason) => {
      this.#current?.abort(reason);
      this.#fail(reason);
    });
    if (removeListener !== null || binding !== null) {
      this.#cleanup = () => {
        removeListener?.();
        binding?.release();
      };
    }
    const gate = plan.gate;
    if (gate === null) {
      this.#dispatch(url, plan.method, plan.headers, plan.body, false, this);
    } else {
      gate.enter(
        (leave) => {
          this.#leave = leave;
          if (this.#settled) this.#release();
          else this.#dispatch(url, plan.method, plan.headers, plan.body, false, this);
        },
        (error) => this.#fail(error),
      );
    }
  }

  /** The canceler of the green operation: abort the current hop and give everything back. */
  readonly interrupt = (reason: unknown): void => {
    this.#settled = true;
    this.#current?.abort(reason);
    this.#release();
  };

  // --- what the first hop's Exchange reports (Settle<HttpResponse>) ----------------------

  resolve(response: HttpResponse): void {
    if (this.#settled) return;
    const plan = this.#plan;
    const status = response.status;
    if (
      (plan.redirect !== "manual" && REDIRECT_STATUS.has(status)) ||
      (plan.throwHttpErrors && status >= 400)
    ) {
      void this.#followUp(response);
      return;
    }
    this.#deliver(response);
  }

  reject(error: unknown): void {
    this.#fail(error);
  }

  // ---------------------------------------------------------------------------------------

  #dispatch(
    url: URL,
    method: string,
    headers: string[],
    body: unknown,
    redirected: boolean,
    settle: { resolve(r: HttpResponse): unknown; reject(e: unknown): unknown },
  ): void {
    const plan = this.#plan;
    const exchange = new Exchange(method, url.href, plan.limit, redirected);
    exchange.headerWaiter = settle;
    this.#current = exchange;
    // Green already (and tied to the scope above): `watchIo()` must not tie it a second time.
    unwatched(() =>
      plan.agent.dispatch(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: method as Dispatcher.HttpMethod,
          headers,
          body: body as Dispatcher.DispatchOptions["body"],
          headersTimeout: plan.headersTimeout,
          bodyTimeout: plan.bodyTimeout,
        },
        exchange as unknown as Dispatcher.DispatchHandler,
      ),
    );
  }

  #hop(url: URL, method: string, headers: string[], body: unknown): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      this.#dispatch(url, method, headers, body, true, { resolve, reject });
    });
  }

  #deliver(response: HttpResponse): void {
    if (this.#settled) return;
    this.#settled = true;
    const exchange = this.#current as Exchange;
    // Invariant: the slot and the signal listener live as long as the final body.
    exchange.leave = this.#leave;
    exchange.cleanup = this.#cleanup;
    this.#leave = null;
    this.#cleanup = null;
    if (exchange.done) exchange.finish();
    this.#waiter.resolve(response);
  }

  #fail(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#release();
    this.#waiter.reject(error);
  }

  #release(): void {
    const leave = this.#leave;
    this.#leave = null;
    leave?.();
    const cleanup = this.#cleanup;
    this.#cleanup = null;
    cleanup?.();
  }

  // Redirects and error statuses: detached, plain promises (see the module comment).
  async #followUp(first: HttpResponse): Promise<void> {
    const plan = this.#plan;
    let response = first;
    let url = new URL(first.url);
    let method = plan.method;
    let headers = plan.headers;
    let body = plan.body;
    try {
      for (let hop = 0; ; hop++) {
        const status = response.status;
        if (plan.redirect === "manual" || !REDIRECT_STATUS.has(status)) break;
        const location = response.headers.get("location");
        if (location === null) break;
        await response.cancel();
        if (this.#settled) return;
        if (plan.redirect === "error") {
          throw new TooManyRedirects(
            this.#original,
            0,
            `${url.href} redirected (${status}) to ${location} and redirect is "error"`,
          );
        }
        if (hop >= plan.maxRedirects) throw new TooManyRedirects(this.#original, plan.maxRedirects);
        let next: URL;
        try {
          next = new URL(location, url);
        } catch (error) {
          throw new HttpRequestError(
            method,
            url.href,
            error,
            `invalid redirect location ${JSON.stringify(location)}`,
          );
        }
        const rewrite =
          (status === 303 && method !== "HEAD") ||
          ((status === 301 || status === 302) && method === "POST");
        // The hook has the first word on every location, before the client's own rules.
        const hook = plan.beforeRedirect;
        if (hook !== null) {
          const hop: RedirectHop = {
            from: url,
            to: next,
            status,
            method: rewrite ? "GET" : method,
          };
          await hook(hop);
          if (this.#settled) return;
        }
        if (next.protocol !== "http:" && next.protocol !== "https:") {
          throw new HttpRequestError(
            method,
            url.href,
            null,
            `redirect to unsupported URL ${next.href}`,
          );
        }
        if (rewrite) {
          method = "GET";
          body = null;
          headers = withoutHeaders(headers, BODY_HEADERS);
        } else if (body !== null && !plan.replayable) {
          throw new HttpRequestError(
            method,
            url.href,
            null,
            `cannot follow a ${status} redirect with a streamed request body`,
          );
        }
        if (next.origin !== url.origin) headers = withoutHeaders(headers, STRIP_CROSS_ORIGIN);
        url = next;
        response = await this.#hop(url, method, headers, body);
        if (this.#settled) {
          await response.cancel();
          return;
        }
      }
      if (plan.throwHttpErrors && response.status >= 400) {
        let preview = "";
        try {
          preview = (await response._preview(PREVIEW_BYTES)).toString("utf8");
        } catch {
          // The body failed too: the status is the error that matters.
        }
        throw new HttpError(
          response.status,
          response.statusText,
          response.url,
          response.headers,
          preview,
        );
      }
      this.#deliver(response);
    } catch (error) {
      if (!response.bodyUsed && this.#current?.done === false) this.#current.abort(error);
      this.#fail(error);
    }
  }
}
