/**
 * What `urlopen` returns: a response shaped like the web `Response` (status, `ok`, `headers`,
 * `url`, `redirected`, `body`, `text()`, `json()`, `bytes()`, `arrayBuffer()`, `blob()`), made
 * cheaply. The headers become a `Headers` object only when first read, and the body is
 * undici's chunks, not a web stream, unless someone asks for `body`.
 *
 * Every read is a green operation: kill or a Timeout of the reading thread aborts the request
 * and frees its connection. A body nobody reads is paused after 64 KiB (the connection stays
 * busy until it is read or cancelled); a small body that arrived whole is kept and the
 * connection goes back to the pool at once. So: read the body, or `cancel()` it, or use
 * `await using`.
 *
 * @module
 */

import type { ResponseBody } from "./response-body.js";

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const decoder = new TextDecoder();

/**
 * The response of `urlopen`. Mirrors the web `Response`; `toResponse()` gives a real one.
 *
 * @example
 * ```ts
 * await using response = await urlopen("http://127.0.0.1:8080/feed.xml");
 * if (response.ok) console.log(response.headers.get("content-type"), (await response.text()).length);
 * ```
 */
export class HttpResponse {
  /** The status code. */
  readonly status: number;
  /** The status message (`"OK"`, …) as the server sent it. */
  readonly statusText: string;
  readonly #exchange: ResponseBody;
  readonly #raw: Buffer[];
  #headers: Headers | null = null;
  #stream: ReadableStream<Uint8Array> | null = null;
  #used = false;

  /** @internal */
  constructor(exchange: ResponseBody, status: number, statusText: string, raw: Buffer[]) {
    this.#exchange = exchange;
    this.status = status;
    this.statusText = statusText;
    this.#raw = raw;
  }

  /** True for a 2xx status. */
  get ok(): boolean {
    return this.status >= 200 && this.status <= 299;
  }

  /** The final URL, after redirects. */
  get url(): string {
    return this.#exchange.url;
  }

  /** True when redirects were followed to get here. */
  get redirected(): boolean {
    return this.#exchange.redirected;
  }

  /** `"basic"`, as for a same-origin fetch. */
  get type(): "basic" {
    return "basic";
  }

  /** The response headers, built on first access. */
  get headers(): Headers {
    if (this.#headers === null) {
      const headers = new Headers();
      const raw = this.#raw;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        try {
          headers.append(
            (raw[i] as Buffer).toString("latin1"),
            (raw[i + 1] as Buffer).toString("latin1"),
          );
        } catch {
          // A header the Fetch standard refuses (undici's parser was more lenient): skip it.
        }
      }
      this.#headers = headers;
    }
    return this.#headers;
  }

  /** True once the body was read, cancelled, or its stream taken. */
  get bodyUsed(): boolean {
    return this.#used || this.#stream?.locked === true;
  }

  /**
   * The body as a web `ReadableStream` (built on first access), or `null` for a response that
   * has none (HEAD, 204, 304). Each read is a green operation of the thread that reads: a kill
   * or a `Timeout` aborts the request and the read rejects with it. Cancelling the stream
   * aborts the request too.
   */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#stream !== null) return this.#stream;
    if (this.#exchange.method === "HEAD" || NULL_BODY_STATUS.has(this.status)) return null;
    if (this.#used) return null;
    const exchange = this.#exchange;
    let waiting = false;
    this.#stream = new ReadableStream<Uint8Array>(
      {
        // Each pull is a green wait of the reading thread, in the scope the read was made in: a
        // kill or deadline there aborts the request (and frees its slot), as any other read
        // does. `pull` returns at once rather than awaiting the chunk: the stream then calls the
        // next pull synchronously inside the next `read()` — in the reader's scope — instead of
        // from the previous pull's settlement, in the scope of an earlier read.
        pull(controller) {
          if (waiting) return; // the chunk on its way serves this read too
          waiting = true;
          exchange.next(true).then(
            (chunk) => {
              waiting = false;
              try {
                if (chunk === null) controller.close();
                else
                  controller.enqueue(
                    new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
                  );
              } catch {
                // Invariant: only a stream cancelled meanwhile refuses the chunk; drop it.
              }
            },
            (error: unknown) => {
              waiting = false;
              controller.error(error);
            },
          );
        },
        cancel(reason) {
          exchange.discardBuffered();
          exchange.abort(reason ?? new Error("response body cancelled"));
        },
      },
      { highWaterMark: 0 },
    );
    return this.#stream;
  }

  /**
   * The whole body as bytes. A green operation; enforces `maxResponseBytes`.
   *
   * @throws {ResponseTooLarge|HttpTimeout|HttpRequestError|TypeError} (TypeError: already read)
   */
  bytes(): Promise<Uint8Array> {
    if (this.bodyUsed)
      return Promise.reject(new TypeError(`body of ${this.url} has already been read`));
    this.#used = true;
    return this.#exchange.collect(true);
  }

  /**
   * @internal The start of the body (up to `max` bytes, the rest cancelled) as a plain (not
   * green) promise, for code outside the caller's thread.
   */
  async _preview(max: number): Promise<Buffer> {
    if (this.bodyUsed) throw new TypeError(`body of ${this.url} has already been read`);
    this.#used = true;
    const exchange = this.#exchange;
    const chunks: Buffer[] = [];
    let length = 0;
    while (length < max) {
      const chunk = await exchange.next(false);
      if (chunk === null) return Buffer.concat(chunks, length);
      chunks.push(chunk);
      length += chunk.length;
    }
    exchange.discardBuffered();
    if (!exchange.done) exchange.abort(new Error("response body not wanted"));
    return Buffer.concat(chunks, length).subarray(0, max);
  }

  /** The body decoded as UTF-8 (a leading BOM dropped). A green operation. @throws see `bytes()` */
  async text(): Promise<string> {
    const bytes = (await this.bytes()) as Buffer;
    return bytes.length < 4096
      ? decoder.decode(bytes)
      : bytes.toString("utf8").replace(/^\uFEFF/, "");
  }

  /** The body parsed as JSON. A green operation. @throws {SyntaxError} and see `bytes()` */
  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  /** The body as an `ArrayBuffer`. A green operation. @throws see `bytes()` */
  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await this.bytes();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  /** The body as a `Blob` typed by `content-type`. A green operation. @throws see `bytes()` */
  async blob(): Promise<Blob> {
    const type = this.headers.get("content-type") ?? "";
    return new Blob([(await this.bytes()) as Uint8Array<ArrayBuffer>], { type });
  }

  /** The body parsed as form data (by the platform's parser). @throws see `bytes()` */
  async formData(): Promise<FormData> {
    const bytes = await this.bytes();
    return new globalThis.Response(bytes, {
      headers: this.headers,
    }).formData() as Promise<FormData>;
  }

  /**
   * The body chunk by chunk; each step is a green operation (kill or Timeout aborts the
   * request). Breaking out of the loop early cancels the rest of the body.
   *
   * @example
   * ```ts
   * for await (const chunk of await urlopen(url)) hash.update(chunk);
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.bodyUsed) throw new TypeError(`body of ${this.url} has already been read`);
    this.#used = true;
    const exchange = this.#exchange;
    let finished = false;
    try {
      for (;;) {
        const chunk = await exchange.next(true);
        if (chunk === null) {
          finished = true;
          return;
        }
        yield chunk;
      }
    } finally {
      if (!finished && !exchange.done) {
        exchange.discardBuffered();
        exchange.abort(new Error("response body iteration stopped early"));
      }
    }
  }

  /**
   * Discards the body. A body that already arrived whole costs nothing (its connection is
   * already back in the pool); otherwise the request is aborted and its connection closed.
   *
   * @example
   * ```ts
   * const response = await urlopen(url);
   * if (!response.ok) await response.cancel();
   * ```
   */
  async cancel(reason?: unknown): Promise<void> {
    this.#used = true;
    const exchange = this.#exchange;
    exchange.discardBuffered();
    if (this.#stream !== null && !this.#stream.locked) {
      await this.#stream.cancel(reason);
      return;
    }
    if (!exchange.done) exchange.abort(reason ?? new Error("response body cancelled"));
  }

  /**
   * A platform `Response` with the same status, headers and body (the body streams into
   * it). For code that needs a real one.
   *
   * @throws {TypeError} when the body was already read.
   * @example
   * ```ts
   * const response = (await urlopen(url)).toResponse();
   * console.log(response instanceof Response); // true
   * ```
   */
  toResponse(): globalThis.Response {
    if (this.bodyUsed) throw new TypeError(`body of ${this.url} has already been read`);
    return new globalThis.Response(this.body, {
      status: this.status,
      statusText: this.statusText,
      headers: this.headers,
    });
  }

  /** Cancels the body unless it was read: for `await using response = await urlopen(url)`. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#exchange.done) await this.cancel();
  }

  get [Symbol.toStringTag](): string {
    return "HttpResponse";
  }
}
