/**
 * Vocabulary for the embedded internet: enough words and title templates that generated
 * pages and feeds read like a plausible tech blogosphere rather than lorem ipsum.
 *
 * @module
 */

import type { Random } from "./random.js";

const TOPICS = [
  "green threads",
  "event loops",
  "backpressure",
  "connection pools",
  "DNS caching",
  "keep-alive",
  "TCP slow start",
  "HTTP/2",
  "load shedding",
  "rate limiters",
  "circuit breakers",
  "retries",
  "idempotency keys",
  "tail latency",
  "queue theory",
  "bloom filters",
  "consistent hashing",
  "write-ahead logs",
  "B-trees",
  "LSM trees",
  "garbage collection",
  "memory arenas",
  "async I/O",
  "epoll",
  "io_uring",
  "structured concurrency",
  "cancellation",
  "deadlines",
  "timeouts",
  "web crawlers",
  "RSS readers",
  "feed parsers",
  "static sites",
  "edge caches",
  "CDNs",
  "service meshes",
  "observability",
  "flame graphs",
  "tracing",
  "benchmarks",
  "monorepos",
  "type systems",
  "compilers",
  "parsers",
  "regular expressions",
  "sourdough",
  "espresso",
  "mechanical keyboards",
  "trail running",
  "bread ovens",
  "sea kayaks",
  "urban gardens",
  "film cameras",
  "chess openings",
  "bicycle repair",
] as const;

const ADJECTIVES = [
  "quiet",
  "surprising",
  "humble",
  "hidden",
  "practical",
  "slow",
  "fast",
  "tiny",
  "honest",
  "forgotten",
  "modern",
  "careful",
  "lazy",
  "stubborn",
  "gentle",
  "accidental",
  "boring",
  "brilliant",
  "unreasonable",
  "durable",
] as const;

const NOUNS = [
  "harbor",
  "compiler",
  "lantern",
  "orchard",
  "kettle",
  "signal",
  "notebook",
  "garden",
  "workshop",
  "lighthouse",
  "circuit",
  "meadow",
  "foundry",
  "atlas",
  "compass",
  "river",
  "teapot",
  "engine",
  "ledger",
  "observatory",
] as const;

const TEMPLATES: ReadonlyArray<(r: Random) => string> = [
  (r) => `The ${r.pick(ADJECTIVES)} case for ${r.pick(TOPICS)}`,
  (r) => `Why ${r.pick(TOPICS)} is harder than it looks`,
  (r) => `Notes on ${r.pick(TOPICS)}`,
  (r) => `How we cut ${r.pick(TOPICS)} latency by ${r.int(12, 91)}%`,
  (r) => `${capital(r.pick(TOPICS))} in ${r.int(2019, 2026)}: a field report`,
  (r) => `What ${r.pick(TOPICS)} taught me about ${r.pick(TOPICS)}`,
  (r) => `A ${r.pick(ADJECTIVES)} guide to ${r.pick(TOPICS)}`,
  (r) => `${r.int(3, 12)} things nobody tells you about ${r.pick(TOPICS)}`,
  (r) => `Debugging ${r.pick(TOPICS)} at 3 a.m.`,
  (r) => `${capital(r.pick(TOPICS))}, ${r.pick(TOPICS)} and the ${r.pick(ADJECTIVES)} middle`,
  (r) => `In defence of ${r.pick(ADJECTIVES)} ${r.pick(TOPICS)}`,
  (r) => `Rewriting our ${r.pick(NOUNS)} around ${r.pick(TOPICS)}`,
  (r) => `The ${r.pick(NOUNS)} problem`,
  (r) => `${capital(r.pick(TOPICS))} without the hype`,
  (r) => `Ask the ${r.pick(NOUNS)}: ${r.pick(TOPICS)} edition`,
];

const FILLER = [
  "the",
  "a",
  "of",
  "and",
  "to",
  "in",
  "is",
  "that",
  "it",
  "for",
  "on",
  "with",
  "as",
  "we",
  "this",
  "but",
  "not",
  "when",
  "every",
  "each",
  "request",
  "thread",
  "socket",
  "server",
  "client",
  "queue",
  "pool",
  "page",
  "latency",
  "budget",
  "deadline",
  "cache",
  "retry",
  "error",
  "window",
  "buffer",
  "stream",
  "worker",
  "handler",
  "result",
  "measure",
  "simple",
  "careful",
  "rarely",
  "usually",
  "finally",
  "because",
  "although",
  "which",
  "then",
  "only",
] as const;

/** Capitalises the first letter. */
export function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A headline, such as "Why backpressure is harder than it looks". */
export function headline(r: Random): string {
  return capital(r.pick(TEMPLATES)(r));
}

/** A site or feed name, such as "The Quiet Lantern". */
export function siteName(r: Random): string {
  const noun = capital(r.pick(NOUNS));
  switch (r.int(0, 3)) {
    case 0:
      return `The ${capital(r.pick(ADJECTIVES))} ${noun}`;
    case 1:
      return `${noun} Weekly`;
    case 2:
      return `Notes from the ${noun}`;
    default:
      return `${capital(r.pick(ADJECTIVES))} ${noun} Journal`;
  }
}

/** A sentence of plausible filler, with a topic in it. */
export function sentence(r: Random): string {
  const words: string[] = [];
  const n = r.int(8, 22);
  const at = r.int(2, n - 1);
  for (let i = 0; i < n; i++) words.push(i === at ? r.pick(TOPICS) : r.pick(FILLER));
  return `${capital(words.join(" "))}.`;
}

/** A URL-friendly version of a title: lower case, dashes, at most 60 characters. */
export function slugify(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/, "");
}
