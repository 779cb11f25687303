"""The maintainer page under AppTest: index status, re-index and refresh with their reports, evaluation runs."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import index as idx
import staff_ui
from ask import load
from ask.audit import AuditLog
from ingest import build

DOC = "penn-medicine"
LABELLED = idx.REPO_ROOT / "tests" / "ask" / "data" / "heldout.jsonl"  # the project's own, in every clone


def table_with(at, column: str):
    """The table on the page that has ``column`` (AppTest does not keep a table's key)."""
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def test_index_status_shows_the_served_version_and_every_page(staff, use_built_index, pages):
    manifest = idx.read_manifest(use_built_index.index_dir)
    at = pages.open_signed_in(pages.maintainer, "max")
    assert {m.label: m.value for m in at.metric} == {"Pages": "5", "Passages in all": str(manifest.passage_count)}
    built = staff_ui.local_time(manifest.built_at)
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}", built)  # readable, local
    assert f"Served version **`{manifest.version}`**, built **{built}**" in pages.text(at)
    table = table_with(at, "passages")
    assert list(table.columns) == ["title", "publisher", "address", "passages", "last changed"]
    checksums = table_with(at, "sha256")
    assert list(checksums["sha256"]) == [page.sha256 for page in manifest.pages]
    assert list(checksums["file"]) == [page.path for page in manifest.pages]
    assert list(table["passages"]) == [page.passage_count for page in manifest.pages]
    assert table["passages"].sum() == manifest.passage_count
    assert list(table["address"]) == [page.url or "" for page in manifest.pages]
    assert list(table["last changed"]) == [staff_ui.local_time(page.changed_at) for page in manifest.pages]
    assert json.loads(at.json[0].value) == manifest.splitter
    assert manifest.model in pages.text(at)


def test_no_index_yet_is_said_calmly(staff, pages):
    at = pages.ok(pages.open_signed_in(pages.maintainer, "max"))
    assert "No index has been built" in pages.text(at)
    assert "python -m ingest" in pages.text(at)


@pytest.mark.slow
def test_reindex_now_updates_the_index_while_the_patient_page_keeps_answering(staff, own_index, corpus_copy, pages):
    settings = idx.settings_from_env()
    build(settings)  # the corpus copy has other paths: page details only
    before = idx.current_version(settings.index_dir)
    bot = load(settings)
    page_file = corpus_copy / f"{DOC}.txt"
    page_file.write_text(
        page_file.read_text(encoding="utf-8") + "\nA new closing paragraph about support groups near you.\n",
        encoding="utf-8",
    )
    at = pages.open_signed_in(pages.maintainer, "max")

    answers: list[str] = []
    stop = threading.Event()

    def patient() -> None:
        # The bot keeps serving the version it loaded while the maintainer's build writes a new one.
        while not stop.is_set():
            answers.append(bot.ask("where does metastatic breast cancer spread?").status)

    asking = threading.Thread(target=patient)
    asking.start()
    try:
        at.button(key="reindex").click().run()
    finally:
        stop.set()
        asking.join()

    pages.ok(at)
    after = idx.current_version(settings.index_dir)
    assert after != before
    report = at.code[0].value
    assert f"index version {after} (was {before})" in report
    assert "changed:   penn-medicine" in report
    assert answers and set(answers) == {"answered"}
    assert f"Served version **`{after}`**" in pages.text(at)
    steps = next(t.value for t in at.text if "Now serving" in t.value)
    assert "Embedding" in steps and f"Now serving index version {after}" in steps


def test_a_build_already_running_is_reported_calmly(staff, use_built_index, pages):
    at = pages.open_signed_in(pages.maintainer, "max")
    with idx.build_lock(use_built_index.index_dir):
        at.button(key="reindex").click().run()
    pages.ok(at)
    assert [e.value for e in at.error] == [
        f"Another build of {use_built_index.index_dir} is running; try again when it has finished."
    ]


class _PageServer(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args) -> None:
        pass


@pytest.mark.slow
def test_refresh_fetches_a_changed_page_and_reports_it(staff, own_index, corpus_copy, pages):
    new_text = (corpus_copy / f"{DOC}.txt").read_text(encoding="utf-8") + "\nUpdated by its publisher.\n"
    _PageServer.body = new_text.encode("utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PageServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sources = json.loads((corpus_copy / "sources.json").read_text(encoding="utf-8"))
        for entry in sources:
            entry["url"] = f"http://127.0.0.1:{server.server_port}/{DOC}" if entry["file"] == f"{DOC}.txt" else None
        (corpus_copy / "sources.json").write_text(json.dumps(sources), encoding="utf-8")
        at = pages.open_signed_in(pages.maintainer, "max")
        at.button(key="refresh").click().run()
    finally:
        server.shutdown()
        server.server_close()
    pages.ok(at)
    report = at.code[0].value
    assert f"  updated   {DOC}" in report
    assert "skipped   susan-g-komen — no address is known" in report
    assert f"changed:   {DOC}" in report
    assert (corpus_copy / f"{DOC}.txt").read_text(encoding="utf-8") == new_text


@pytest.mark.slow
def test_run_evaluation_shows_figures_next_to_the_previous_run(staff, use_built_index, pages, tmp_path, isolated_env):
    labelled = tmp_path / "small.jsonl"
    labelled.write_text("\n".join(LABELLED.read_text(encoding="utf-8").splitlines()[:4]) + "\n", encoding="utf-8")
    at = pages.open_signed_in(pages.maintainer, "max")
    assert "No evaluation has been run yet." in pages.text(at)
    at.text_input(key="eval-file").input(str(labelled))
    at.button(key="run-eval").click().run()
    pages.ok(at)
    first = table_with(at, "previous run")
    assert list(first.columns) == ["figure", "this run", "previous run", "change", "verdict"]
    assert first["figure"].iloc[0] == "right page first (hit@1)"
    assert (first["previous run"] == "—").all() and (first["change"] == "—").all()  # a first run: nothing to compare
    assert "This is the first run" in pages.text(at)
    hit = first[first["figure"] == "right page first (hit@1)"].iloc[0]
    assert re.fullmatch(r"\d{1,3}\.\d %", hit["this run"])  # a rate, as a percentage

    at.button(key="run-eval").click().run()
    pages.ok(at)
    second = table_with(at, "previous run")
    runs = AuditLog(isolated_env.audit_db).eval_runs()
    assert len(runs) == 2 and runs[0].run_by == "max" and runs[0].eval_file == str(labelled)
    assert second["previous run"].tolist() == first["this run"].tolist()
    hit_at_1 = second[second["figure"] == "right page first (hit@1)"].iloc[0]
    assert hit_at_1["this run"] == f"{runs[0].overall['hit_at_1'] * 100:.1f} %" and hit_at_1["verdict"] == "same"
    assert hit_at_1["change"] == "+0.0 points"


def test_a_missing_labelled_file_is_reported_calmly(staff, use_built_index, pages, tmp_path):
    at = pages.open_signed_in(pages.maintainer, "max")
    at.text_input(key="eval-file").input(str(tmp_path / "nowhere.jsonl"))
    at.button(key="run-eval").click().run()
    pages.ok(at)
    assert [e.value for e in at.error] == [f"There is no labelled file at {Path(tmp_path / 'nowhere.jsonl')}."]


def test_the_default_labelled_file_comes_from_settings(staff, use_built_index, pages, monkeypatch, tmp_path):
    monkeypatch.setenv("MBC_EVAL_FILE", str(tmp_path / "mine.jsonl"))
    at = pages.open_signed_in(pages.maintainer, "max")
    assert at.text_input(key="eval-file").value == str(tmp_path / "mine.jsonl")
