"""A built site served on 127.0.0.1 as a web server sends it (nginx, IIS): the one server of
the search benchmarks (bench/search.py, bench/search_breakdown.py) and of the browser test of
a server that sends Pagefind's files gzip-encoded (tests/browser/test_search.py).

Text is gzipped when the browser accepts it, over kept-alive HTTP/1.1 connections without
Nagle's delay, with ``Last-Modified``, as nginx sends static files by default. Pagefind's files
(gzip already) go as they are, as opaque bytes, unless the handler says otherwise.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# What a server compresses: text. Pagefind's .pf_* and .pagefind files are gzip already.
COMPRESSIBLE = (".html", ".js", ".mjs", ".json", ".css", ".svg", ".xml", ".txt")
PAGEFIND_GZIPPED = (".pf_meta", ".pf_index", ".pf_fragment", ".pf_filter", ".pagefind")


def wire(path: Path) -> bytes:
    """The body of ``path`` as a server sends it: text gzipped, the rest as it is."""
    stat = path.stat()
    return _wire_cached(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4096)
def _wire_cached(path: Path, _mtime_ns: int, _size: int) -> bytes:
    # Keyed on the file's time and size too, so a file changed between runs (--ab-no-worker
    # patches search.js) is compressed again, in the server's process as in this one.
    body = path.read_bytes()
    return gzip.compress(body, compresslevel=6) if path.suffix in COMPRESSIBLE else body


class GzipHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, text gzipped when the browser accepts it, as web servers are set up, over
    kept-alive HTTP/1.1 connections as web servers keep them (http.server's default is
    HTTP/1.0, a new connection per request), without Nagle's delay, as nginx's default
    ``tcp_nodelay on`` (else a response's last packet waits up to 40 ms for the browser's
    delayed acknowledgement of its headers)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    pagefind_encoded = False
    """Send Pagefind's files (gzip already) as they are, saying so (``Content-Encoding:
    gzip``), as a server set up for them does: the browser unpacks them. Off: sent as opaque
    bytes, as a server that knows nothing of them does."""

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        if self.pagefind_encoded and path.suffix in PAGEFIND_GZIPPED and path.is_file() \
                and accepts_gzip:
            return self._send_gzip(path, path.read_bytes(), "application/octet-stream")
        if path.suffix in COMPRESSIBLE and path.is_file() and accepts_gzip:
            return self._send_gzip(path, wire(path), self.guess_type(str(path)))
        return super().send_head()

    def _send_gzip(self, path: Path, body: bytes, content_type: str) -> io.BytesIO:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        # As nginx sends it with every static file, compressed or not (http.server sends it
        # only for files it sends itself): the browser may then reuse a response for a second
        # request of the same address, as the search worker's requests after the page's.
        self.send_header("Last-Modified", self.date_time_string(int(path.stat().st_mtime)))
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class EncodingHandler(GzipHandler):
    """The same server, set up to send Pagefind's files with ``Content-Encoding: gzip``."""

    pagefind_encoded = True


def _serve(site: Path, handler_class: type[GzipHandler], port: Any) -> None:
    handler = functools.partial(handler_class, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port.send(server.server_address[1])
    server.serve_forever()


@contextmanager
def served(site: Path, handler_class: type[GzipHandler] = GzipHandler) -> Iterator[str]:
    """The site on 127.0.0.1, served by a process of its own, as a web server is: in the
    benchmark's process its threads would wait for Python's lock while Playwright's client
    handles the browser's events, and the page would wait for them."""
    context = multiprocessing.get_context("fork")  # the handler class may be made at run time
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(target=_serve, args=(site, handler_class, sending), daemon=True)
    process.start()
    try:
        if not receiving.poll(30):
            raise SystemExit("the web server did not start")
        yield f"http://127.0.0.1:{receiving.recv()}/"
    finally:
        process.terminate()
        process.join()
