/**
 * `HttpClient`: Tendril's green HTTP client on undici — `urlopen` for speed, `fetch` for
 * compatibility, and a `dispatcher` for everything else that speaks undici.
 *
 * Under it is one undici `Agent` (keep-alive connection pools per origin) whose sockets are
 * connected with the green resolver's `lookup` (never libuv's 4-thread `dns.lookup`). On top:
 * a concurrency limit (`pool`: a number, a shared `GreenPool` or a semaphore), connect /
 * headers / body deadlines, a response-size limit enforced while the body streams, redirects
 * followed by hand (so the limit, method rewriting and header stripping are ours), and typed
 * errors that name the URL.
 *
 * `urlopen` drives undici's dispatch API directly (see `exchange.ts`) instead of
 * `undici.request` or `fetch`: that is what lets a crawl through it run at the speed of a
 * hand-written undici `Pool` loop. `fetch` is the platform's own `fetch` with this client's
 * dispatcher, so it returns real `Response` objects and every `fetch` feature.
 *
 * @module
 */

import { AsyncResource } from "node:async_hooks";
import { GreenThreadExit, getHub, green, isTimeout, suspend } from "@tendril/core";
import {
  checkBytes,
  checkFunction,
  checkInteger,
  checkMs,
  describeValue,
} from "@tendril/core/validate";
import { Agent, buildConnector, type Dispatcher, Pool } from "undici";
import { lookup as greenLookup, type LookupFunction } from "../dns/resolver.js";
import type { CloseOptions } from "../http-server/serve-http.js";
import { type ConcurrencyLimit, type Gate, toGate } from "./concurrency.js";
import { HttpRequestError, HttpTimeout, ResponseTooLarge } from "./errors.js";
import { GreenDispatcher } from "./green-dispatcher.js";
import type { HttpResponse } from "./http-response.js";
import { type BeforeRedirect, type UrlopenPlan, UrlopenTask } from "./urlopen-task.js";

type HeadersInit = ConstructorParameters<typeof Headers>[0];
type RequestInit = NonNullable<Parameters<typeof globalThis.fetch>[1]>;

/**
 * Options of an `HttpClient`; they are the defaults of each request. Times in ms, sizes in bytes.
 *
 * @example
 * ```ts
 * const client = new HttpClient({ pool: 50, connections: 10, headersTimeoutMs: 5000 });
 * const response = await client.urlopen("http://127.0.0.1:8080/");
 * ```
 */
export interface HttpClientOptions {
  /** Requests in flight at once: a number, a shared `GreenPool`, or a semaphore. Default: no limit. */
  pool?: ConcurrencyLimit;
  /** Connections per origin. Default: no limit (one per request in flight). */
  connections?: number;
  /** How long an idle keep-alive connection is kept. Default 4000 (undici's). */
  keepAliveTimeoutMs?: number;
  /** How long connecting (TCP and TLS) may take. Default 10 000. */
  connectTimeoutMs?: number;
  /** How long to wait for the response headers. Default 60 000. */
  headersTimeoutMs?: number;
  /** How long the body may go without a byte. Default 60 000. */
  bodyTimeoutMs?: number;
  /** The largest response body accepted. Default 256 MiB; `Infinity` for none. */
  maxResponseBytes?: number;
  /** Redirects followed before `TooManyRedirects`. Default 20 (as `fetch`). */
  maxRedirects?: number;
  /** Throw `HttpError` for a final status >= 400. Default `false` (as `fetch`). */
  throwHttpErrors?: boolean;
  /**
   * Called before each redirect `urlopen` follows; throw to refuse the hop (see
   * `BeforeRedirect`). A request's own hook replaces this one. Default: none.
   */
  beforeRedirect?: BeforeRedirect;
  /** The `dns.lookup`-style resolver for connections. Default: Tendril's green `lookup`. */
  lookup?: LookupFunction;
  /** Headers sent with every request (a request's own headers win). */
  headers?: HeadersInit;
  /** Send requests through this undici dispatcher instead of a new `Agent` (proxies, mocks). */
  dispatcher?: Dispatcher;
}

/**
 * The body forms `urlopen` sends.
 *
 * @example
 * ```ts
 * await urlopen(url, { method: "POST", body: new URLSearchParams({ q: "tendril" }) });
 * ```
 */
export type UrlopenBody =
  | string
  | Uint8Array
  | ArrayBuffer
  | URLSearchParams
  | ArrayBufferView
  | Blob
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | NodeJS.ReadableStream
  | null;

/**
 * Per-request options of `urlopen`: `fetch`'s familiar ones, and the client's limits.
 *
 * @example
 * ```ts
 * const response = await urlopen(url, {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ q: "tendril" }),
 *   maxResponseBytes: 1 << 20,
 * });
 * ```
 */
export interface UrlopenInit {
  /** The method. Default `GET`. */
  method?: string;
  /** Request headers. */
  headers?: HeadersInit;
  /** The request body. A stream body cannot be replayed, so a 307/308 after one fails. */
  body?: UrlopenBody;
  /** Aborts the request (the thread's kill and Timeouts do so without one). */
  signal?: AbortSignal | null;
  /** `"follow"` (default), `"manual"` (return the 3xx), or `"error"` (throw on one). */
  redirect?: "follow" | "manual" | "error";
  maxRedirects?: number;
  /**
   * Called before each redirect is followed, with where it comes from and leads to; throw (or
   * reject) to refuse it, and nothing is sent there. Replaces the client's hook.
   */
  beforeRedirect?: BeforeRedirect;
  maxResponseBytes?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  throwHttpErrors?: boolean;
  /** A resolver for this request's connections (clients keep one connection pool per resolver). */
  lookup?: LookupFunction;
  /** A concurrency limit for this request instead of the client's (a `GreenPool` or semaphore). */
  pool?: Exclude<ConcurrencyLimit, number>;
}

const MAX_LOOKUP_AGENTS = 16;
const DEFAULT_MAX_RESPONSE_SIZE = 256 * 1024 * 1024;

// Sockets are connected in a scope that belongs to no green thread. Node runs a socket's
// callbacks in the async context it was created in, so a connection opened for one thread
// would otherwise run every later response on it — for any thread — as that thread.
const neutralScope = new AsyncResource("TendrilHttpConnect");

function neutralConnector(options: buildConnector.BuildOptions): buildConnector.connector {
  const base = buildConnector(options);
  return (opts, callback) => neutralScope.runInAsyncScope(base, null, opts, callback);
}

// Options left out take the fallback; the rest go through core's shared checks.
function checkMsOption(what: string, value: unknown, fallback: number): number {
  return value === undefined ? fallback : checkMs(what, value);
}

function checkSizeOption(what: string, value: unknown, fallback: number): number {
  return value === undefined ? fallback : checkBytes(what, value);
}

function checkCountOption(what: string, value: unknown, fallback: number): number {
  return value === undefined ? fallback : checkInteger(what, value, 0);
}

function checkHook(
  what: string,
  value: unknown,
  fallback: BeforeRedirect | null,
): BeforeRedirect | null {
  if (value === undefined) return fallback;
  checkFunction(what, value);
  return value as BeforeRedirect;
}

/** Appends HeadersInit as flat name/value pairs (names lower-cased). */
function flatten(init: HeadersInit | undefined, out: string[]): void {
  if (init === undefined || init === null) return;
  if (init instanceof Headers) {
    for (const [name, value] of init) out.push(name, value);
  } else if (Array.isArray(init)) {
    for (const pair of init as string[][]) out.push(String(pair[0]).toLowerCase(), String(pair[1]));
  } else if (typeof (init as unknown as Iterable<unknown>)[Symbol.iterator] === "function") {
    for (const pair of init as unknown as Iterable<[string, string]>)
      out.push(String(pair[0]).toLowerCase(), String(pair[1]));
  } else {
    const record = init as Record<string, string | readonly string[]>;
    for (const name in record) {
      const value = record[name];
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value) out.push(name.toLowerCase(), String(v));
      else out.push(name.toLowerCase(), String(value));
    }
  }
}

/** Merges default and request headers: a request header replaces every default of that name. */
function mergeHeaders(defaults: string[], init: HeadersInit | undefined): string[] {
  if (init === undefined) return defaults;
  const own: string[] = [];
  flatten(init, own);
  if (defaults.length === 0) return own;
  const names = new Set<string>();
  for (let i = 0; i < own.length; i += 2) names.add(own[i] as string);
  const merged: string[] = [];
  for (let i = 0; i < defaults.length; i += 2) {
    if (!names.has(defaults[i] as string))
      merged.push(defaults[i] as string, defaults[i + 1] as string);
  }
  return merged.concat(own);
}

function hasHeader(headers: string[], name: string): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return true;
  return false;
}

function parseUrl(input: unknown, what: string): URL {
  let url: URL;
  if (input instanceof URL) url = input;
  else if (typeof input === "string") {
    try {
      url = new URL(input);
    } catch {
      throw new TypeError(`${what}: invalid URL ${JSON.stringify(input)}`);
    }
  } else {
    throw new TypeError(
      `${what}: url must be a string or a URL, received ${input === null ? "null" : typeof input}`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TypeError(
      `${what}: only http: and https: URLs are supported, received ${JSON.stringify(url.href)}`,
    );
  }
  return url;
}

/** Turns the body init into what undici sends, and tells whether it can be sent again. */
function prepareBody(
  body: UrlopenBody | undefined,
  headers: string[],
): { body: unknown; replayable: boolean; headers: string[] } {
  if (body === undefined || body === null) return { body: null, replayable: true, headers };
  if (typeof body === "string" || body instanceof Uint8Array)
    return { body, replayable: true, headers };
  if (body instanceof ArrayBuffer) return { body: new Uint8Array(body), replayable: true, headers };
  if (ArrayBuffer.isView(body)) {
    return {
      body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
      replayable: true,
      headers,
    };
  }
  if (body instanceof URLSearchParams) {
    const out = hasHeader(headers, "content-type")
      ? headers
      : headers.concat("content-type", "application/x-www-form-urlencoded;charset=UTF-8");
    return { body: body.toString(), replayable: true, headers: out };
  }
  if (body instanceof Blob) {
    const out =
      hasHeader(headers, "content-type") || body.type === ""
        ? headers
        : headers.concat("content-type", body.type);
    return {
      body: body.stream(),
      replayable: false,
      headers: out.concat("content-length", String(body.size)),
    };
  }
  if (
    typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function" ||
    typeof (body as { pipe?: unknown }).pipe === "function"
  ) {
    return { body, replayable: false, headers };
  }
  throw new TypeError(
    `urlopen: body must be a string, bytes, URLSearchParams, a Blob, a stream or an async iterable, received ${
      (body as object).constructor?.name ?? typeof body
    }`,
  );
}

/**
 * A green HTTP client: connection pooling, limits and deadlines shared by every request made
 * through it. The module-level `urlopen` and `fetch` use a default one.
 *
 * @throws {TypeError|RangeError} for an invalid option (naming the value).
 * @example
 * ```ts
 * import { GreenPool } from "@tendril/core";
 * const urls = ["http://127.0.0.1:8080/a", "http://127.0.0.1:8080/b"];
 * const pool = new GreenPool(100);
 * await using client = new HttpClient({ pool, headersTimeoutMs: 5000, maxResponseBytes: 1 << 20 });
 * for await (const body of pool.imap(async (u: string) => (await client.urlopen(u)).bytes(), urls))
 *   console.log(body.length);
 * ```
 */
export class HttpClient {
  /** The undici dispatcher of this client, green: give it to `fetch` or undici's APIs. */
  readonly dispatcher: GreenDispatcher;
  readonly #agent: Dispatcher;
  readonly #ownsAgent: boolean;
  readonly #gate: Gate | null;
  readonly #defaults: string[];
  readonly #maxResponseSize: number;
  readonly #maxRedirects: number;
  readonly #headersTimeout: number;
  readonly #bodyTimeout: number;
  readonly #throwHttpErrors: boolean;
  readonly #beforeRedirect: BeforeRedirect | null;
  readonly #agentOptions: Agent.Options;
  readonly #connectTimeout: number;
  readonly #lookupAgents = new Map<LookupFunction, Dispatcher>();
  readonly #gates = new WeakMap<object, Gate>();
  readonly #pools = new Set<Pool>();
  #plainPlan: UrlopenPlan | null = null;

  constructor(options: HttpClientOptions = {}) {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`HttpClient: options must be an object, received ${String(options)}`);
    }
    this.#gate = toGate(options.pool, "HttpClient");
    this.#maxResponseSize = checkSizeOption(
      "HttpClient: maxResponseBytes",
      options.maxResponseBytes,
      DEFAULT_MAX_RESPONSE_SIZE,
    );
    this.#maxRedirects = checkCountOption("HttpClient: maxRedirects", options.maxRedirects, 20);
    this.#headersTimeout = checkMsOption(
      "HttpClient: headersTimeoutMs",
      options.headersTimeoutMs,
      60_000,
    );
    this.#bodyTimeout = checkMsOption("HttpClient: bodyTimeoutMs", options.bodyTimeoutMs, 60_000);
    this.#throwHttpErrors = options.throwHttpErrors ?? false;
    this.#beforeRedirect = checkHook("HttpClient: beforeRedirect", options.beforeRedirect, null);
    const connectTimeout = checkMsOption(
      "HttpClient: connectTimeoutMs",
      options.connectTimeoutMs,
      10_000,
    );
    const keepAliveTimeout = checkMsOption(
      "HttpClient: keepAliveTimeoutMs",
      options.keepAliveTimeoutMs,
      4000,
    );
    if (options.connections !== undefined)
      checkCountOption("HttpClient: connections", options.connections, 0);
    const lookup = options.lookup ?? greenLookup;
    if (typeof lookup !== "function") {
      checkFunction("HttpClient: lookup", lookup);
    }
    this.#connectTimeout = connectTimeout;
    this.#agentOptions = {
      // Every origin's pool, recorded so that close() can still cut them once undici's
      // Agent.close() has begun (it forgets its pools at that point).
      factory: (origin: string | URL, opts: object) => {
        for (const p of this.#pools) if (p.closed || p.destroyed) this.#pools.delete(p);
        const pool = new Pool(origin, opts);
        this.#pools.add(pool);
        return pool;
      },
      connect: neutralConnector({ lookup: lookup as never, timeout: connectTimeout }),
      keepAliveTimeout: Math.max(1, keepAliveTimeout),
      headersTimeout: this.#headersTimeout,
      bodyTimeout: this.#bodyTimeout,
      ...(options.connections !== undefined && options.connections > 0
        ? { connections: options.connections }
        : {}),
    };
    this.#ownsAgent = options.dispatcher === undefined;
    this.#agent = options.dispatcher ?? new Agent(this.#agentOptions);
    this.#defaults = [];
    flatten(options.headers, this.#defaults);
    this.dispatcher = new GreenDispatcher(this.#agent, {
      gate: this.#gate,
      maxResponseBytes: this.#maxResponseSize,
    });
  }

  /**
   * Requests `url` and resolves with the response once its headers arrived. A green
   * operation: kill or a Timeout of the calling thread aborts the request and frees its
   * connection. Redirects are followed (up to `maxRedirects`; 303, and 301/302 after a POST,
   * become GET; credentials are dropped across origins). Read the body with `text()`,
   * `bytes()`, … (green too), or `cancel()` it.
   *
   * @throws {TypeError} for an invalid URL or option.
   * @throws {HttpTimeout|ResponseTooLarge|TooManyRedirects|HttpRequestError} as named;
   *   {HttpError} for a status >= 400 with `throwHttpErrors`.
   * @example
   * ```ts
   * const response = await client.urlopen("http://127.0.0.1:8080/", { headers: { accept: "text/html" } });
   * console.log(response.status, await response.text());
   * ```
   */
  urlopen(url: string | URL, init?: UrlopenInit): Promise<HttpResponse> {
    let target: URL;
    let plan: UrlopenPlan;
    try {
      target = parseUrl(url, "urlopen");
      plan = init === undefined ? this.#plain : this.#plan(init);
    } catch (error) {
      return Promise.reject(error);
    }
    if (plan.signal?.aborted) return Promise.reject(plan.signal.reason);
    return suspend<HttpResponse>((waiter) => new UrlopenTask(plan, waiter, target).interrupt);
  }

  // The plan of a call with no init: built once.
  get #plain(): UrlopenPlan {
    if (this.#plainPlan === null) {
      this.#plainPlan = {
        agent: this.#agent,
        gate: this.#gate,
        limit: this.#maxResponseSize,
        headersTimeout: this.#headersTimeout,
        bodyTimeout: this.#bodyTimeout,
        redirect: "follow",
        maxRedirects: this.#maxRedirects,
        throwHttpErrors: this.#throwHttpErrors,
        beforeRedirect: this.#beforeRedirect,
        signal: null,
        method: "GET",
        headers: this.#defaults,
        body: null,
        replayable: true,
      };
    }
    return this.#plainPlan;
  }

  #plan(init: UrlopenInit): UrlopenPlan {
    if (typeof init !== "object" || init === null) {
      throw new TypeError(`urlopen: init must be an object, received ${String(init)}`);
    }
    const redirect = init.redirect ?? "follow";
    if (redirect !== "follow" && redirect !== "manual" && redirect !== "error") {
      throw new TypeError(
        `urlopen: redirect must be "follow", "manual" or "error", received ${JSON.stringify(redirect)}`,
      );
    }
    const prepared = prepareBody(init.body, mergeHeaders(this.#defaults, init.headers));
    return {
      agent: init.lookup === undefined ? this.#agent : this.#agentFor(init.lookup),
      gate: init.pool === undefined ? this.#gate : this.#gateFor(init.pool),
      limit: checkSizeOption(
        "urlopen: maxResponseBytes",
        init.maxResponseBytes,
        this.#maxResponseSize,
      ),
      headersTimeout: checkMsOption(
        "urlopen: headersTimeoutMs",
        init.headersTimeoutMs,
        this.#headersTimeout,
      ),
      bodyTimeout: checkMsOption("urlopen: bodyTimeoutMs", init.bodyTimeoutMs, this.#bodyTimeout),
      redirect,
      maxRedirects: checkCountOption(
        "urlopen: maxRedirects",
        init.maxRedirects,
        this.#maxRedirects,
      ),
      throwHttpErrors: init.throwHttpErrors ?? this.#throwHttpErrors,
      beforeRedirect: checkHook(
        "urlopen: beforeRedirect",
        init.beforeRedirect,
        this.#beforeRedirect,
      ),
      signal: init.signal ?? null,
      method: init.method === undefined ? "GET" : String(init.method).toUpperCase(),
      headers: prepared.headers,
      body: prepared.body,
      replayable: prepared.replayable,
    };
  }

  #agentFor(lookup: LookupFunction): Dispatcher {
    if (typeof lookup !== "function") {
      checkFunction("urlopen: lookup", lookup);
    }
    let agent = this.#lookupAgents.get(lookup);
    if (agent !== undefined) {
      this.#lookupAgents.delete(lookup);
      this.#lookupAgents.set(lookup, agent); // most recently used last
      return agent;
    }
    agent = new Agent({
      ...this.#agentOptions,
      connect: neutralConnector({ lookup: lookup as never, timeout: this.#connectTimeout }),
    });
    this.#lookupAgents.set(lookup, agent);
    if (this.#lookupAgents.size > MAX_LOOKUP_AGENTS) {
      const [oldest, old] = this.#lookupAgents.entries().next().value as [
        LookupFunction,
        Dispatcher,
      ];
      this.#lookupAgents.delete(oldest);
      old.close().catch(() => {});
    }
    return agent;
  }

  #gateFor(limit: Exclude<ConcurrencyLimit, number>): Gate {
    let gate = this.#gates.get(limit);
    if (gate === undefined) {
      gate = toGate(limit, "urlopen") as Gate;
      this.#gates.set(limit, gate);
    }
    return gate;
  }

  /**
   * The platform's `fetch`, through this client's dispatcher: the resolver, pool, limits
   * and deadlines apply, and it is a green operation (kill or a Timeout aborts it). Returns a
   * real `Response`. Errors are Tendril's (`HttpTimeout`, `ResponseTooLarge`,
   * `HttpRequestError` naming the URL) where `fetch` would say only "fetch failed".
   *
   * @throws {HttpTimeout|ResponseTooLarge|HttpRequestError} and an abort's reason.
   * @example
   * ```ts
   * const response = await client.fetch("http://127.0.0.1:8080/api", { method: "POST", body: "{}" });
   * console.log(await response.json());
   * ```
   */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const method = (
      init?.method ?? (typeof input === "object" && "method" in input ? input.method : "GET")
    ).toUpperCase();
    const ownSignal =
      init?.signal ?? (typeof input === "object" && "signal" in input ? input.signal : null);
    let controller: AbortController | null = null;
    const options: Record<string, unknown> = { ...init, dispatcher: this.dispatcher };
    if (!ownSignal) {
      controller = new AbortController();
      options.signal = controller.signal;
    }
    return green(globalThis.fetch(input, options as unknown as RequestInit), (reason) =>
      controller?.abort(reason),
    ).catch((error: unknown) => {
      throw fetchError(error, method, url);
    });
  }

  /**
   * Closes the client's connections: at once when idle, else once the requests in flight are
   * done — or, past `graceMs` (default: no limit), by destroying them, so the requests still
   * running fail. `close({ graceMs: 0 })` cuts every connection now. A client given an
   * `agent` leaves that agent open. Resolves once every connection is closed.
   *
   * @throws {RangeError} for a `graceMs` that is not a number >= 0.
   * @example
   * ```ts
   * const client = new HttpClient();
   * try { await client.urlopen(url); } finally { await client.close({ graceMs: 5_000 }); }
   * ```
   */
  close(options: CloseOptions = {}): Promise<void> {
    const graceMs = options.graceMs ?? Number.POSITIVE_INFINITY;
    if (typeof graceMs !== "number" || !(graceMs >= 0)) {
      return Promise.reject(
        new RangeError(
          `HttpClient.close: graceMs must be a number >= 0, received ${describeValue(options.graceMs)}`,
        ),
      );
    }
    const agents: Dispatcher[] = [...this.#lookupAgents.values()];
    this.#lookupAgents.clear();
    if (this.#ownsAgent) agents.push(this.#agent);
    const pools = this.#pools;
    const cut = (): Promise<void> =>
      Promise.all([
        ...agents.map((a) => a.destroy()),
        ...[...pools].map((p) => (p.destroyed ? undefined : p.destroy())),
      ]).then(() => pools.clear());
    if (graceMs === 0) return cut();
    const closing = Promise.all(agents.map((a) => a.close())).then(() => undefined);
    if (graceMs === Number.POSITIVE_INFINITY) return closing;
    return new Promise<void>((resolve, reject) => {
      const timer = getHub().schedule(graceMs, () => {
        cut().then(resolve, reject);
      });
      closing.then(
        () => {
          timer.cancel();
          resolve();
        },
        (error: unknown) => {
          timer.cancel();
          reject(error);
        },
      );
    });
  }

  /** `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Turns `fetch`'s "fetch failed" into Tendril's typed errors; interruptions pass through. */
function fetchError(error: unknown, method: string, url: string): unknown {
  if (!(error instanceof TypeError) || error.message !== "fetch failed") return error;
  const cause = (error as { cause?: unknown }).cause;
  // The thread's own kill or Timeout, seen from below: hand it over as itself.
  if (isTimeout(cause) || cause instanceof GreenThreadExit) return cause;
  if (cause instanceof ResponseTooLarge || cause instanceof HttpTimeout) return cause;
  const code = (cause as { code?: unknown } | null)?.code;
  if (code === "UND_ERR_CONNECT_TIMEOUT") return new HttpTimeout("connect", url, { cause });
  if (code === "UND_ERR_HEADERS_TIMEOUT") return new HttpTimeout("headers", url, { cause });
  if (code === "UND_ERR_BODY_TIMEOUT") return new HttpTimeout("body", url, { cause });
  return new HttpRequestError(method, url, cause ?? error);
}
