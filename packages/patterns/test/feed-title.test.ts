import { InvalidFeed, parseFeedTitle } from "@tendril/patterns/feed-scraper";

import { describe, expect, test } from "vitest";

describe("parseFeedTitle", () => {
  test("reads RSS 2.0", () => {
    const xml = `<?xml version="1.0"?><rss version="2.0"><channel><title>Daily &amp; Weekly</title>
      <link>http://127.0.0.1/</link><item><title>one</title></item></channel></rss>`;
    expect(parseFeedTitle(xml)).toEqual({ format: "rss", title: "Daily & Weekly" });
  });

  test("reads Atom, turning an html title into text", () => {
    const plain = `<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom news</title><entry><title>e</title></entry></feed>`;
    expect(parseFeedTitle(plain)).toEqual({ format: "atom", title: "Atom news" });
    const html = `<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">&lt;b&gt;Bold&lt;/b&gt; &amp;amp; more</title></feed>`;
    expect(parseFeedTitle(html).title).toBe("Bold & more");
  });

  test("reads RDF (RSS 1.0)", () => {
    const xml = `<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
      xmlns="http://purl.org/rss/1.0/"><channel rdf:about="http://127.0.0.1/"><title>RDF  feed</title>
      <link>http://127.0.0.1/</link></channel></rdf:RDF>`;
    expect(parseFeedTitle(xml)).toEqual({ format: "rdf", title: "RDF feed" });
  });

  test("a feed without a title has the empty title, as in Eventlet", () => {
    expect(parseFeedTitle(`<rss version="2.0"><channel><link>x</link></channel></rss>`).title).toBe(
      "",
    );
  });

  test("keeps CDATA titles as they are", () => {
    const xml = `<rss version="2.0"><channel><title><![CDATA[Fish <&> Chips]]></title></channel></rss>`;
    expect(parseFeedTitle(xml).title).toBe("Fish <&> Chips");
  });

  test("never expands DTD entities: a billion laughs stays small and fast", () => {
    const laughs = [`<!ENTITY lol0 "lol">`];
    for (let i = 1; i <= 9; i++) {
      laughs.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`);
    }
    const xml = `<?xml version="1.0"?><!DOCTYPE rss [${laughs.join("")}]>
      <rss version="2.0"><channel><title>A &lol9; B</title></channel></rss>`;
    const { title } = parseFeedTitle(xml);
    expect(title.length).toBeLessThan(100);
    expect(title).not.toContain("lollol");
  });

  test("refuses external entities instead of reading files", () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
      <rss version="2.0"><channel><title>&xxe;</title></channel></rss>`;
    expect(() => parseFeedTitle(xml)).toThrow(InvalidFeed);
  });

  test("a document that is not a feed is a InvalidFeed with a stable code", () => {
    for (const text of ["<html><body>hi</body></html>", "not xml at all", ""]) {
      let error: unknown;
      try {
        parseFeedTitle(text);
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(InvalidFeed);
      expect((error as InvalidFeed).code).toBe("ERR_TENDRIL_INVALID_FEED");
    }
  });
});
