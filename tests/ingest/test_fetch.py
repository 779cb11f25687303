"""The fetching rules (defects 1, 2, 4, 5), each against a real HTTP server on 127.0.0.1.

The server is on loopback, which the fetcher refuses: these tests use the test-only allowance
``allow_loopback_for_tests=True``; the first tests show that without it loopback is refused.
"""

from __future__ import annotations

import ssl
import subprocess
import time
from pathlib import Path

import pytest

from errors import RefreshError
from ingest import Fetcher
from tests.ingest.conftest import serve

HOSTS = {"127.0.0.1", "169.254.169.254", "10.1.2.3"}


def fetch(server, path: str, *, deadline_s: float = 5.0, max_bytes: int = 2_000_000, allow_http: bool = True):
    fetcher = Fetcher(deadline_s=deadline_s, max_bytes=max_bytes, allow_loopback_for_tests=True)
    return fetcher.fetch(server.url(path), allowed_hosts=HOSTS, allow_http=allow_http)


# Defect 1: any scheme, any host, loopback and redirects to it were fetched.
REFUSED_ADDRESSES = [
    ("file", "file:///etc/passwd", "uses file scheme; only https is fetched"),
    ("data", "data:text/html,<p>hello</p>", "uses data scheme"),
    ("ftp", "ftp://127.0.0.1/page", "uses ftp scheme"),
    ("javascript", "javascript:alert(1)", "uses javascript scheme"),
    ("user in address", "https://user:pw@127.0.0.1/page", "carries a user name or password"),
    ("unlisted host", "https://example.invalid/page", "the host example.invalid is not one that sources.json lists"),
    ("private address", "https://10.1.2.3/page", "resolves to 10.1.2.3, a private address"),
    ("link-local address", "https://169.254.169.254/latest", "resolves to 169.254.169.254, a link-local address"),
]


@pytest.mark.parametrize(("url", "message"), [r[1:] for r in REFUSED_ADDRESSES], ids=[r[0] for r in REFUSED_ADDRESSES])
def test_addresses_outside_the_rules_are_refused_before_connecting(url: str, message: str):
    fetcher = Fetcher(deadline_s=2, allow_loopback_for_tests=True)
    with pytest.raises(RefreshError) as caught:
        fetcher.fetch(url, allowed_hosts=HOSTS, allow_http=True)
    assert message in str(caught.value)


def test_loopback_is_refused_without_the_test_allowance(server):
    with pytest.raises(RefreshError, match=r"resolves to 127\.0\.0\.1, a loopback address, which is never fetched"):
        Fetcher(deadline_s=2).fetch(server.url("/page"), allowed_hosts={"127.0.0.1"}, allow_http=True)
    assert server.requests == []  # refused before any connection


def test_http_needs_the_entry_to_allow_it(server):
    with pytest.raises(RefreshError, match=r'is http, not https; mark its sources.json entry "allow_http": true'):
        fetch(server, "/page", allow_http=False)
    assert server.requests == []


def test_a_good_page_is_fetched_under_the_allowance(server):
    fetched = fetch(server, "/page")
    assert fetched.content_type == "text/html" and "Bone pain that does not go away" in fetched.text
    assert server.requests == ["/robots.txt", "/page"]


# Defect 1 (redirects), 2 (junk answers), 5 (size): each answer → the sentence it fails with.
BAD_ANSWERS = [
    ("redirect to another host", "/to-localhost", "the host localhost is not one that sources.json lists"),
    ("redirect to link-local", "/to-link-local", "169.254.169.254, a link-local address"),
    ("redirect to private", "/to-private", "10.1.2.3, a private address"),
    ("redirect to file", "/to-file", "uses file scheme"),
    ("redirect loop", "/loop", "more than 5 redirects"),
    ("HTTP 404", "/missing", "the server answered HTTP 404 Not Found"),
    ("JSON error body", "/json", "the server sent application/json, not a page"),
    ("latin-1 labelled UTF-8", "/latin-labelled-utf8", "labelled utf-8 but byte 0xe9 at position"),
    ("unknown charset", "/unknown-charset", "unknown charset 'x-no-such'"),
    ("compressed despite identity", "/gzip", "gzip-compressed, though asked not to"),
    ("robots.txt disallows", "/private/page", "robots.txt does not allow fetching"),
    (
        "body cut short (was an IncompleteRead traceback)",
        "/short-body",
        "the page could not be fetched (RemoteProtocolError",
    ),
    ("too big, by length", "/big", "more than the 1,000,000 allowed"),
    ("too big, no length", "/big-no-length", "more than the 1,000,000 bytes allowed"),
]


@pytest.mark.parametrize(("path", "message"), [r[1:] for r in BAD_ANSWERS], ids=[r[0] for r in BAD_ANSWERS])
def test_bad_answers_fail_with_a_sentence_naming_the_rule(server, path: str, message: str):
    with pytest.raises(RefreshError) as caught:
        fetch(server, path, max_bytes=1_000_000)
    assert message in str(caught.value)


def test_a_redirect_within_the_rules_is_followed(server):
    fetched = fetch(server, "/to-page")
    assert fetched.url == server.url("/page") and fetched.redirects == (server.url("/page"),)


def test_latin_1_labelled_latin_1_decodes(server):
    assert "Café" in fetch(server, "/latin-labelled-latin").text


# Defect 4: the time-out was per read, so a trickling server kept a 5 s fetch going for 60 s.
# A read time-out set once would let the last read of "/trickle-then-stall" wait its full 3 s.
SLOW = [
    ("one byte every 0.2 s", "/trickle"),
    ("no answer for 8 s", "/stall"),
    ("bytes for 2.5 s, then silence", "/trickle-then-stall"),
]


@pytest.mark.parametrize("path", [r[1] for r in SLOW], ids=[r[0] for r in SLOW])
def test_one_deadline_bounds_the_whole_fetch(server, path: str):
    started = time.monotonic()
    with pytest.raises(RefreshError, match=r"no complete answer within 3 s"):
        fetch(server, path, deadline_s=3)
    assert time.monotonic() - started < 3.8


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for "localhost", made with openssl."""
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subject = ["-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"]
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert)]
    subprocess.run([*command, *subject], check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture
def https_server(certificate):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    for httpd in serve():
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        port = httpd.server_address[1]
        httpd.url = lambda path, host="localhost", port=port: f"https://{host}:{port}{path}"
        yield httpd


def test_https_connects_to_the_checked_address_and_still_verifies_the_host_name(https_server, certificate):
    trusted = ssl.create_default_context(cafile=str(certificate[0]))
    fetcher = Fetcher(deadline_s=5, verify=trusted, allow_loopback_for_tests=True)
    fetched = fetcher.fetch(https_server.url("/page"), allowed_hosts={"localhost"})
    assert "Bone pain that does not go away" in fetched.text
    # The same server by its address: the certificate names localhost, so the check fails.
    with pytest.raises(RefreshError, match=r"the page could not be fetched \(ConnectError: .*certificate"):
        Fetcher(deadline_s=5, verify=trusted, allow_loopback_for_tests=True).fetch(
            https_server.url("/page", host="127.0.0.1"), allowed_hosts={"127.0.0.1"}
        )
    with pytest.raises(RefreshError, match=r"certificate verify failed"):  # an untrusted certificate
        Fetcher(deadline_s=5, allow_loopback_for_tests=True).fetch(
            https_server.url("/page"), allowed_hosts={"localhost"}
        )
