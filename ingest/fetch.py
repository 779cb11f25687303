"""Fetch one page from its address under strict rules, or say why not.

The rules, each checked before a byte is trusted:

- **scheme**: ``https`` only; ``http`` only for an entry marked ``"allow_http": true`` in sources.json.
- **host**: only hosts that some sources.json entry's address names, at the start and after each
  redirect (redirects are followed here, by hand, at most ``MAX_REDIRECTS``).
- **address**: the host is resolved and every address must be public: no private, loopback,
  link-local, multicast, reserved or unspecified address. The connection goes to the address that was
  checked (TLS still verifies the host name), so a second DNS answer cannot swap it.
- **robots.txt**: a path the host's robots.txt disallows for our user agent is not fetched.
- **time**: one deadline for the whole fetch (robots.txt, redirects, every read), not per read.
- **size**: at most ``max_bytes`` are read; a longer body fails, whatever Content-Length says.
- **content**: the content type must be HTML or plain text, the charset known, and the body must decode
  under it without a single error (no NUL byte either).

``Fetcher.fetch`` returns a ``Fetched`` or raises ``RefreshError`` with one sentence naming the rule.
Whether the text is a real page (not an error or block page) is judged by the caller, who knows the
page it would replace (``ingest.refresh``).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ipaddress
import socket
import ssl
import threading
import time
import urllib.parse
import urllib.robotparser
from dataclasses import dataclass, field

import httpx

from errors import RefreshError

USER_AGENT = "mbc-quotes-refresh/1.0 (patient-information index)"
DEFAULT_DEADLINE_S = 15.0
DEFAULT_MAX_BYTES = 2_000_000
MAX_REDIRECTS = 5
MAX_ROBOTS_BYTES = 200_000
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "text/markdown")
_REDIRECTS = (301, 302, 303, 307, 308)
_RESOLVER = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="mbc-resolve")


@dataclass(frozen=True)
class Fetched:
    """A fetched page: the final address, its content type and its text, decoded strictly."""

    url: str
    content_type: str
    text: str
    redirects: tuple[str, ...] = ()


@dataclass
class Fetcher:
    """Fetches pages by the rules above.

    >>> fetcher = Fetcher(deadline_s=15)
    >>> fetcher.fetch("https://www.example.org/page", allowed_hosts={"www.example.org"}).text

    ``allow_loopback_for_tests`` lets the test suite reach its own server on 127.0.0.1; it allows
    loopback addresses only (private and link-local ones stay refused). Production code never sets it.
    """

    deadline_s: float = DEFAULT_DEADLINE_S
    max_bytes: int = DEFAULT_MAX_BYTES
    verify: ssl.SSLContext | bool = True  # the certificates to trust (True: the certifi bundle)
    allow_loopback_for_tests: bool = False
    _robots: dict[str, urllib.robotparser.RobotFileParser | None] = field(default_factory=dict, repr=False)

    def fetch(self, url: str, *, allowed_hosts: set[str] | frozenset[str], allow_http: bool = False) -> Fetched:
        """Fetch ``url``; raise ``RefreshError`` naming the rule it broke."""
        deadline = time.monotonic() + self.deadline_s
        hosts = {host.lower() for host in allowed_hosts}
        redirects: list[str] = []
        current = url
        watchdog = _Watchdog(deadline)
        client = httpx.Client(
            follow_redirects=False, trust_env=False, verify=self.verify, headers={"User-Agent": USER_AGENT}
        )
        with watchdog, client:
            while True:
                target = self._check_address(current, hosts, allow_http, watchdog)
                self._check_robots(client, current, hosts, allow_http, watchdog)
                status, headers, body = self._get(client, current, target, watchdog, self.max_bytes)
                if status in _REDIRECTS:
                    location = headers.get("location")
                    if not location:
                        raise RefreshError(f"the server answered HTTP {status} without saying where to go")
                    if len(redirects) >= MAX_REDIRECTS:
                        raise RefreshError(f"more than {MAX_REDIRECTS} redirects")
                    current = urllib.parse.urljoin(current, location)
                    redirects.append(current)
                    continue
                if status != 200:
                    raise RefreshError(f"the server answered HTTP {status} {_reason(status)}".rstrip())
                content_type, text = _decode(headers.get("content-type", ""), body)
                return Fetched(current, content_type, text, tuple(redirects))

    # --- the rules -----------------------------------------------------------------------

    def _check_address(self, url: str, hosts: set[str], allow_http: bool, watchdog: _Watchdog) -> _Target:
        """The scheme, host and resolved address of ``url``, each checked; the address to connect to."""
        try:
            parts = urllib.parse.urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise RefreshError(f"the address {_short(url)} is malformed ({exc})") from exc
        scheme = parts.scheme.lower()
        if scheme not in ("https", "http"):
            raise RefreshError(f"the address {_short(url)} uses {scheme or 'no'} scheme; only https is fetched")
        if scheme == "http" and not allow_http:
            raise RefreshError(
                f"the address {_short(url)} is http, not https; mark its sources.json entry "
                '"allow_http": true to fetch it anyway'
            )
        if parts.username or parts.password:
            raise RefreshError(f"the address {_short(url)} carries a user name or password")
        host = (parts.hostname or "").lower()
        if not host:
            raise RefreshError(f"the address {_short(url)} has no host")
        if host not in hosts:
            raise RefreshError(f"the host {host} is not one that sources.json lists")
        port = port or (443 if scheme == "https" else 80)
        # getaddrinfo has no time-out of its own: wait for it only as long as the deadline allows.
        lookup = _RESOLVER.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        try:
            found = {info[4][0] for info in lookup.result(timeout=self._remaining(watchdog.deadline))}
        except concurrent.futures.TimeoutError as exc:
            raise RefreshError(f"no complete answer within {self.deadline_s:g} s (resolving {host})") from exc
        except (OSError, UnicodeError) as exc:
            raise RefreshError(f"the host {host} could not be resolved ({exc})") from exc
        addresses = sorted(ipaddress.ip_address(address.split("%", 1)[0]) for address in found)
        for address in addresses:
            problem = self._address_problem(address)
            if problem:
                raise RefreshError(
                    f"the host {host} resolves to {address}, a {problem} address, which is never fetched"
                )
        if not addresses:
            raise RefreshError(f"the host {host} has no address")
        return _Target(scheme, host, port, str(addresses[0]))

    def _remaining(self, deadline: float) -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RefreshError(f"no complete answer within {self.deadline_s:g} s")
        return left

    def _address_problem(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
        mapped = getattr(address, "ipv4_mapped", None)
        if mapped is not None:
            address = mapped
        if address.is_loopback:
            return None if self.allow_loopback_for_tests else "loopback"
        for name in ("link_local", "private", "multicast", "reserved", "unspecified"):
            if getattr(address, f"is_{name}"):
                return name.replace("_", "-")
        if not address.is_global:
            return "non-public"
        return None

    def _check_robots(
        self, client: httpx.Client, url: str, hosts: set[str], allow_http: bool, watchdog: _Watchdog
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        if origin not in self._robots:
            self._robots[origin] = self._read_robots(client, origin + "/robots.txt", hosts, allow_http, watchdog)
        robots = self._robots[origin]
        if robots is not None and not robots.can_fetch(USER_AGENT, url):
            raise RefreshError(f"the site's robots.txt does not allow fetching {_short(url)}")

    def _read_robots(
        self, client: httpx.Client, url: str, hosts: set[str], allow_http: bool, watchdog: _Watchdog
    ) -> urllib.robotparser.RobotFileParser | None:
        """The parsed robots.txt; None when there is none (RFC 9309: a 4xx allows all, a 5xx allows none)."""
        try:
            target = self._check_address(url, hosts, allow_http, watchdog)
            status, _headers, body = self._get(client, url, target, watchdog, MAX_ROBOTS_BYTES)
        except RefreshError as exc:
            raise RefreshError(
                f"the site's robots.txt could not be read, so nothing is fetched from it ({exc})"
            ) from exc
        if 400 <= status < 500 or status in _REDIRECTS:
            return None
        parser = urllib.robotparser.RobotFileParser(url)
        if status != 200:
            parser.disallow_all = True
            return parser
        parser.parse(body.decode("utf-8", errors="replace").splitlines())
        return parser

    def _get(
        self, client: httpx.Client, url: str, target: _Target, watchdog: _Watchdog, max_bytes: int
    ) -> tuple[int, httpx.Headers, bytes]:
        """GET ``url`` from the checked address, reading at most ``max_bytes`` before the deadline."""
        deadline = watchdog.deadline
        parts = urllib.parse.urlsplit(url)
        host_ip = f"[{target.address}]" if ":" in target.address else target.address
        pinned = urllib.parse.urlunsplit(
            (target.scheme, f"{host_ip}:{target.port}", parts.path or "/", parts.query, "")
        )
        default_port = 443 if target.scheme == "https" else 80
        host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
        remaining = self._remaining(deadline)
        request = client.build_request(
            "GET",
            pinned,
            # identity: a compressed body could unpack far past the byte cap.
            headers={"Host": host_header, "Accept": ", ".join(PAGE_TYPES), "Accept-Encoding": "identity"},
            timeout=httpx.Timeout(remaining),
            extensions={"sni_hostname": target.host, "trace": watchdog.trace},
        )
        try:
            response = client.send(request, stream=True)
            try:
                encoding = response.headers.get("content-encoding", "identity").strip().lower()
                if encoding not in ("", "identity"):
                    raise RefreshError(f"the server sent the page {encoding}-compressed, though asked not to")
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > max_bytes:
                    raise RefreshError(f"the page is {int(length):,} bytes, more than the {max_bytes:,} allowed")
                body = bytearray()
                chunks = response.iter_raw()  # no chunk size: each piece as it arrives, not gathered
                for chunk in chunks:
                    body += chunk
                    if len(body) > max_bytes:
                        raise RefreshError(f"the page is more than the {max_bytes:,} bytes allowed")
                    self._remaining(deadline)
                return response.status_code, response.headers, bytes(body)
            finally:
                response.close()
        except httpx.HTTPError as exc:
            if watchdog.fired or isinstance(exc, httpx.TimeoutException):
                raise RefreshError(f"no complete answer within {self.deadline_s:g} s") from exc
            raise RefreshError(f"the page could not be fetched ({type(exc).__name__}: {exc})") from exc


class _Watchdog:
    """Shuts every socket of one fetch down at its deadline.

    A read time-out restarts with each read, so a server sending a byte now and then could hold a
    fetch for ever; shutting the socket down wakes any read at once. Sockets are collected through
    httpcore's trace hook as they connect.
    """

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()

    def trace(self, name: str, info: dict) -> None:
        if not name.endswith((".connect_tcp.complete", ".start_tls.complete")):
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            fired = self.fired
        if fired:
            _shut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    # OSError: already closed, or the TLS layer holds the descriptor now.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    address: str


def _decode(content_type_header: str, body: bytes) -> tuple[str, str]:
    """The content type and the body's text, or ``RefreshError`` for a type or charset that is wrong."""
    media, _, params = content_type_header.partition(";")
    media = media.strip().lower()
    if media not in PAGE_TYPES:
        raise RefreshError(f"the server sent {media or 'no content type'}, not a page ({', '.join(PAGE_TYPES)})")
    charset = "utf-8"
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'").lower()
    try:
        text = body.decode(charset)
    except LookupError as exc:
        raise RefreshError(f"the server names an unknown charset {charset!r}") from exc
    except UnicodeDecodeError as exc:
        raise RefreshError(
            f"the page is labelled {charset} but byte 0x{body[exc.start]:02x} at position {exc.start} is not {charset}"
        ) from exc
    if "\x00" in text:
        raise RefreshError("the page holds a NUL character, so it is not text")
    return media, text


def _reason(status: int) -> str:
    try:
        from http import HTTPStatus

        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _short(url: str) -> str:
    return url if len(url) <= 80 else url[:77] + "..."
