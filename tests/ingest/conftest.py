"""A real HTTP server on 127.0.0.1 for the refresh tests, serving good pages and every kind of bad answer."""

from __future__ import annotations

import gzip
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

HTML = """<html><head><title>{title}</title></head><body><nav>Home | Donate | Contact</nav>
<article><h1>{title}</h1>{body}</article><footer>Copyright</footer></body></html>"""


def html_page(title: str, *paragraphs: str) -> str:
    return HTML.format(title=title, body="".join(f"<p>{p}</p>" for p in paragraphs))


BONE = (
    "Bone metastases",
    "Bone is the most common place for breast cancer to spread. Bone pain that does not go away is the most "
    "common sign, and it is often worse at night.",
    "Your care team may suggest scans to look at your bones, and medicines that make bones stronger.",
    "Talk with your care team about what this means for you and about ways to manage the pain.",
)
GOOD_PAGE = html_page(*BONE)
ROBOTS = "User-agent: *\nDisallow: /private/\n"


class Handler(BaseHTTPRequestHandler):
    """Routes by path; ``self.server.pages`` maps extra paths to HTML a test sets."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        port = self.server.server_address[1]
        self.server.requests.append(path)
        if path in self.server.pages:
            return self._send(200, "text/html; charset=utf-8", self.server.pages[path].encode("utf-8"))
        if path in self.server.plain:
            return self._send(200, "text/plain; charset=utf-8", self.server.plain[path].encode("utf-8"))
        if path == "/robots.txt":
            return self._send(200, "text/plain", ROBOTS.encode())
        if path in ("/page", "/private/page"):
            return self._send(200, "text/html; charset=utf-8", GOOD_PAGE.encode("utf-8"))
        if path == "/json":
            return self._send(200, "application/json", json.dumps({"error": "rate limited"}).encode())
        if path == "/json-as-html":
            return self._send(200, "text/html; charset=utf-8", json.dumps({"error": "rate limited"}).encode())
        if path == "/denied":
            return self._send(200, "text/html; charset=utf-8", html_page("Access denied", "Access denied.").encode())
        if path == "/latin-labelled-utf8":
            body = html_page(BONE[0], "Caf\xe9 na\xefve " + BONE[1], *BONE[2:]).encode("latin-1")
            return self._send(200, "text/html; charset=utf-8", body)
        if path == "/latin-labelled-latin":
            body = html_page(BONE[0], "Caf\xe9 " + BONE[1], *BONE[2:]).encode("latin-1")
            return self._send(200, "text/html; charset=iso-8859-1", body)
        if path == "/unknown-charset":
            return self._send(200, "text/html; charset=x-no-such", GOOD_PAGE.encode())
        if path == "/big":
            return self._send(200, "text/html; charset=utf-8", b"<p>" + b"a" * 3_000_000 + b"</p>")
        if path == "/big-no-length":
            self._begin(None, close=True)
            for _ in range(60):
                self.wfile.write(b"a" * 65536)
            return None
        if path == "/short-body":  # promises more than it sends, then hangs up
            self._begin(5000, close=True)
            self.wfile.write(GOOD_PAGE.encode("utf-8")[:200])
            self.close_connection = True
            return None
        if path == "/gzip":
            body = gzip.compress(GOOD_PAGE.encode())
            self._begin(len(body), encoding="gzip")
            self.wfile.write(body)
            return None
        if path == "/trickle":
            self._begin(100000)
            self._trickle(200, pause_s=0.2)
            return None
        if path == "/trickle-then-stall":
            self._begin(100000)
            self._trickle(5, pause_s=0.5)
            time.sleep(10)
            return None
        if path == "/stall":
            time.sleep(8)
            return self._send(200, "text/html; charset=utf-8", GOOD_PAGE.encode())
        redirects = {
            "/to-page": "/page",
            "/to-localhost": f"http://localhost:{port}/page",
            "/to-link-local": "http://169.254.169.254/latest/meta-data/",
            "/to-private": "http://10.1.2.3/page",
            "/to-file": "file:///etc/passwd",
            "/loop": "/loop",
        }
        if path in redirects:
            self.send_response(302)
            self.send_header("Location", redirects[path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return self._send(404, "text/html", b"<p>Not Found</p>", reason="Not Found")

    def _send(self, status: int, content_type: str, body: bytes, reason: str | None = None) -> None:
        self.send_response(status, reason)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _begin(self, length: int | None, *, close: bool = False, encoding: str | None = None) -> None:
        """The status and headers of an HTML page of ``length`` bytes (None: no Content-Length)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if encoding is not None:
            self.send_header("Content-Encoding", encoding)
        if length is not None:
            self.send_header("Content-Length", str(length))
        if close:
            self.send_header("Connection", "close")
        self.end_headers()

    def _trickle(self, count: int, *, pause_s: float) -> None:
        """``count`` bytes of the body, one at a time, ``pause_s`` apart."""
        for _ in range(count):
            self.wfile.write(b"a")
            self.wfile.flush()
            time.sleep(pause_s)

    def log_message(self, *args):  # keep test output quiet
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address):
        pass  # a client that gave up (the deadline, the byte cap) hangs up mid-answer; that is the point


@pytest.fixture
def server():
    """The server on a free port of 127.0.0.1; ``server.url(path)``, ``server.pages`` (path → HTML) and
    ``server.plain`` (path → plain text)."""
    yield from serve()


def serve():
    httpd = Server(("127.0.0.1", 0), Handler)
    httpd.pages = {}
    httpd.plain = {}
    httpd.requests = []
    httpd.url = lambda path: f"http://127.0.0.1:{httpd.server_address[1]}{path}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
