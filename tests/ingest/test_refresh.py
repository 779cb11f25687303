"""`python -m ingest refresh` against a local server: changed, unchanged, 404 and time-out pages."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import index
from index import settings_from_env
from ingest import build, refresh
from ingest.html import extract_main_text

pytestmark = pytest.mark.slow

HTML = """<html><head><title>{title}</title></head><body><nav>Home | Donate | Contact</nav>
<article><h1>{title}</h1><p>{body}</p><p>Talk with your care team about what this means for you.</p></article>
<footer>Copyright</footer></body></html>"""

PAGES = {
    "/changed": HTML.format(title="Bone metastases", body="Bone pain that does not go away is the most common sign."),
    "/same": HTML.format(title="Liver metastases", body="Liver metastases often cause no symptoms at first."),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/slow":
            time.sleep(3)
        body = self.server.pages.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        data = body.encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # keep test output quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the time-out page's client hangs up before the answer; that is the point


@pytest.fixture
def server():
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.pages = dict(PAGES)  # what this test's server serves; a test may change it
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def small_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server) -> Path:
    address = f"http://127.0.0.1:{server.server_address[1]}"
    corpus = tmp_path / "pages"
    corpus.mkdir()
    texts = {
        "changed.txt": "Bone metastases\n\nAn older text about bone metastases that the site has since rewritten.\n",
        "same.txt": extract_main_text(PAGES["/same"]),
        "missing.txt": "Brain metastases\n\nHeadaches and changes in vision can be signs.\n",
        "slow.txt": "Lung metastases\n\nA cough that will not go away can be a sign.\n",
        "offline.txt": "Coping\n\nMany people find a support group helps.\n",
    }
    for name, text in texts.items():
        (corpus / name).write_text(text, encoding="utf-8")
    sources = [
        {
            "file": name,
            "title": name,
            "publisher": "Test",
            "url": f"{address}/{name[:-4]}" if name != "offline.txt" else None,
        }
        for name in texts
    ]
    (corpus / "sources.json").write_text(json.dumps(sources), encoding="utf-8")
    monkeypatch.setenv("MBC_CORPUS_DIR", str(corpus))
    return corpus


def test_refresh_updates_changed_pages_and_leaves_failures_untouched(small_corpus: Path):
    settings = settings_from_env()
    build(settings)
    before = index.load(settings.index_dir)
    untouched = {name: (small_corpus / name).read_bytes() for name in ("missing.txt", "slow.txt", "same.txt")}

    report = refresh(settings, timeout=1.0)

    assert report.outcome("changed") == "updated"
    assert report.outcome("same") == "unchanged"
    assert report.outcome("missing") == "failed"
    assert report.outcome("slow") == "failed"
    assert report.outcome("offline") == "skipped"
    reasons = {page.doc_id: page.reason for page in report.pages}
    assert reasons["missing"] == "the server answered HTTP 404 Not Found"
    assert reasons["slow"] == "no answer within 1 s"
    for name, data in untouched.items():
        assert (small_corpus / name).read_bytes() == data
    after = index.load(settings.index_dir)
    assert "Bone pain that does not go away" in after.texts["changed"]
    assert "Donate" not in after.texts["changed"]
    assert report.build is not None and report.build.changed == ["changed"]
    assert report.build.passages_embedded == after.page("changed").passage_count
    for doc_id in ("missing", "slow", "same", "offline"):
        assert [p.text for p in after.passages if p.doc_id == doc_id] == [
            p.text for p in before.passages if p.doc_id == doc_id
        ]
    summary = report.summary()
    assert "updated   changed" in summary and "failed    missing — the server answered HTTP 404" in summary


def test_refresh_with_nothing_new_does_not_rebuild(small_corpus: Path, server):
    server.pages["/changed"] = HTML.format(title="Bone metastases", body="The same text as the file now holds.")
    (small_corpus / "changed.txt").write_text(extract_main_text(server.pages["/changed"]), encoding="utf-8")
    settings = settings_from_env()
    build(settings)
    version = index.current_version(settings.index_dir)
    report = refresh(settings, timeout=1.0)
    assert report.outcome("changed") == "unchanged" and report.build is None
    assert index.current_version(settings.index_dir) == version
