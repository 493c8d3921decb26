"""Eventlet contender of the dispatch suite: Eventlet's own feed scraper
(examples/feedscraper.py from the design-patterns page) -- eventlet.wsgi on eventlet.listen,
a global GreenPool, a GreenPile per request, feedparser fetching and parsing each feed.

Modes:
  patched  feedparser = eventlet.import_patched('feedparser'), as the seed page does
  monkey   eventlet.monkey_patch() before importing feedparser

Long-lived: prints "PORT <n>" and serves until SIGTERM, then prints "RSS <MB>".

usage: python3 dispatch_eventlet.py <patched|monkey>
"""
import sys

MODE = sys.argv[1] if len(sys.argv) > 1 else "patched"

import eventlet  # noqa: E402

if MODE == "monkey":
    eventlet.monkey_patch()
    import feedparser  # noqa: E402
else:
    feedparser = eventlet.import_patched("feedparser")

import resource  # noqa: E402
import signal  # noqa: E402
import os  # noqa: E402
from eventlet import wsgi  # noqa: E402

pool = eventlet.GreenPool()


def fetch_title(url):
    d = feedparser.parse(url)
    return d.feed.get("title", "")


def app(environ, start_response):
    if environ["REQUEST_METHOD"] != "POST":
        start_response("403 Forbidden", [])
        return []
    pile = eventlet.GreenPile(pool)
    # The example's environ['wsgi.input'].readlines() hangs on Python 3: eventlet passes the
    # Content-Length as readlines()' hint, and io's readlines only stops once the lines read
    # *exceed* the hint, so it waits for a line the client never sends. read() does not.
    for line in environ["wsgi.input"].read().splitlines():
        url = line.strip()
        if url:
            pile.spawn(fetch_title, url.decode("utf-8"))
    titles = "\n".join(pile) + "\n"
    start_response("200 OK", [("Content-type", "text/plain; charset=utf-8")])
    return [titles.encode("utf-8")]


def on_term(signum, frame):
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    sys.stdout.write("RSS %d\n" % rss_mb)
    sys.stdout.flush()
    os._exit(0)


signal.signal(signal.SIGTERM, on_term)
sock = eventlet.listen(("127.0.0.1", 0))
sys.stdout.write("PORT %d\n" % sock.getsockname()[1])
sys.stdout.flush()


class Quiet:
    def write(self, *args):
        pass


wsgi.server(sock, app, log=Quiet(), log_output=False)
