/**
 * A feed's title, by a well-kept parser: feedsmith (on fast-xml-parser) reads RSS 0.9x/2.0,
 * Atom, RDF (RSS 1.0) and JSON Feed. We never hand-write an XML or feed parser.
 *
 * Safety: feedsmith parses with fast-xml-parser's entity processing off. DTD entities are
 * never expanded (a "billion laughs" document stays a few bytes: `&lol9;` is left as text),
 * external entities (`SYSTEM "file:///etc/passwd"`) make the parse fail, and only the
 * predefined and HTML character references are decoded. Size is limited before parsing, by
 * the caller (`maxFeedBytes`).
 *
 * @module
 */

import { TendrilError } from "@tendril/core";
import { parseFeed } from "feedsmith";
import { Parser } from "htmlparser2";

/**
 * The feed formats recognised.
 *
 * @example
 * ```ts
 * const { format, title } = parseFeedTitle(text);
 * if (format === "atom") console.log(`an Atom feed: ${title}`);
 * ```
 */
export type FeedFormat = "rss" | "atom" | "rdf" | "json";

/**
 * The error of a document that is not a feed, or not a well-formed one. `code` is
 * `ERR_TENDRIL_INVALID_FEED`; the parser's own error is the `cause`.
 *
 * @example
 * ```ts
 * try { parseFeedTitle("<html></html>"); }
 * catch (error) { if (error instanceof InvalidFeed) console.log(error.message); }
 * ```
 */
export class InvalidFeed extends TendrilError {
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_TENDRIL_INVALID_FEED", message, options);
  }
}

function htmlToText(html: string): string {
  let text = "";
  const parser = new Parser(
    {
      ontext(chunk) {
        text += chunk;
      },
    },
    { decodeEntities: true },
  );
  parser.end(html);
  return text;
}

function clean(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * Parses a feed document and returns its format and title (`""` when it has none, as
 * Eventlet's feed scraper returned). Atom titles of type `html`/`xhtml` come back as text.
 * Items are not parsed, so this is cheap even for long feeds.
 *
 * @throws {InvalidFeed} when the text is not a recognisable, well-formed feed, or it uses
 *   external entities.
 * @example
 * ```ts
 * parseFeedTitle('<rss version="2.0"><channel><title>News</title></channel></rss>');
 * // { format: "rss", title: "News" }
 * ```
 */
export function parseFeedTitle(text: string): { format: FeedFormat; title: string } {
  let parsed: ReturnType<typeof parseFeed>;
  try {
    parsed = parseFeed(text, { maxItems: 0 });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const cause = (error as { cause?: unknown })?.cause;
    const detail = cause instanceof Error ? `: ${cause.message}` : "";
    throw new InvalidFeed(`not a feed (${reason}${detail})`, { cause: error });
  }
  const raw = (parsed.feed as { title?: unknown }).title;
  let title = "";
  if (typeof raw === "string") title = raw;
  else if (raw !== null && typeof raw === "object") {
    const { value, type } = raw as { value?: unknown; type?: unknown };
    if (typeof value === "string") {
      title = type === "html" || type === "xhtml" ? htmlToText(value) : value;
    }
  }
  return { format: parsed.format, title: clean(title) };
}
