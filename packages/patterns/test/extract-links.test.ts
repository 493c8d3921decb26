import { extractLinks } from "@tendril/patterns";
import { describe, expect, test } from "vitest";

describe("extractLinks", () => {
  test("resolves relative links, drops fragments and duplicates, keeps document order", () => {
    const html = `<a href="/about">About</a><a href='b.html#top'>B</a><a href=b.html>again</a>
      <area href="../up.html"><A HREF="https://other.test/x">other</A>`;
    expect(extractLinks(html, "http://127.0.0.1:8080/a/index.html")).toEqual([
      "http://127.0.0.1:8080/about",
      "http://127.0.0.1:8080/a/b.html",
      "http://127.0.0.1:8080/up.html",
      "https://other.test/x",
    ]);
  });

  test("honours <base href> and decodes entities", () => {
    const html = `<head><base href="http://127.0.0.1:9000/docs/"></head><a href="p?a=1&amp;b=2">p</a>`;
    expect(extractLinks(html, "http://127.0.0.1:8080/")).toEqual([
      "http://127.0.0.1:9000/docs/p?a=1&b=2",
    ]);
  });

  test("skips other schemes, comments and scripts", () => {
    const html = `<a href="mailto:x@y">m</a><a href="javascript:void(0)">j</a>
      <!-- <a href="/commented">c</a> --><script>var s = '<a href="/scripted">';</script><a href="/real">r</a>`;
    expect(extractLinks(html, "http://127.0.0.1/")).toEqual(["http://127.0.0.1/real"]);
  });

  test("rejects a base URL that is not absolute", () => {
    expect(() => extractLinks("", "/relative")).toThrow(TypeError);
  });
});
