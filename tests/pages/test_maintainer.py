"""The maintainer page under AppTest: index status, re-index and refresh with their reports, evaluation runs."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest

import index as idx
from ask import load
from audit import AuditLog
from ingest import build
from settings import REPO_ROOT, settings_from_env
from ui import staff_components as staff_ui

DOC = "penn-medicine"
LABELLED = REPO_ROOT / "tests" / "ask" / "data" / "heldout.jsonl"  # the project's own, in every clone


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
    settings = settings_from_env()
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
    from audit import StaffLog

    logged = StaffLog(settings.staff_db).actions()[0]
    assert (logged.actor, logged.action) == ("max", "re-index") and f"index version {after}" in logged.detail


def test_a_build_already_running_is_reported_calmly(staff, use_built_index, pages):
    at = pages.open_signed_in(pages.maintainer, "max")
    with idx.build_lock(use_built_index.index_dir):
        at.button(key="reindex").click().run()
    pages.ok(at)
    assert [e.value for e in at.error] == [
        f"Another build of {use_built_index.index_dir} is running; try again when it has finished."
    ]


@pytest.fixture
def server():
    from tests.ingest.conftest import serve

    yield from serve()


def _point_at(corpus: Path, server, *, doc: str = DOC) -> None:
    sources = json.loads((corpus / "sources.json").read_text(encoding="utf-8"))
    for entry in sources:
        entry["url"] = server.url(f"/{doc}") if entry["file"] == f"{doc}.txt" else None
        entry["allow_http"] = True
    (corpus / "sources.json").write_text(json.dumps(sources), encoding="utf-8")


# Defect 1 through the real app: the page's refresh has no test allowance, so loopback is refused.
@pytest.mark.slow
def test_refresh_from_the_page_refuses_a_loopback_address_and_changes_nothing(
    staff, own_index, corpus_copy, pages, server
):
    settings = settings_from_env()
    build(settings)
    served = idx.current_version(settings.index_dir)
    server.plain[f"/{DOC}"] = (corpus_copy / f"{DOC}.txt").read_text(encoding="utf-8") + "\nUpdated by its publisher.\n"
    _point_at(corpus_copy, server)
    before = (corpus_copy / f"{DOC}.txt").read_bytes()
    at = pages.open_signed_in(pages.maintainer, "max")
    at.button(key="refresh").click().run()
    pages.ok(at)
    report = at.code[0].value
    assert f"  failed    {DOC} — the host 127.0.0.1 resolves to 127.0.0.1, a loopback address" in report
    assert "skipped   susan-g-komen — no address is known" in report
    assert "nothing is staged" in report
    assert server.requests == [] and (corpus_copy / f"{DOC}.txt").read_bytes() == before
    assert idx.current_version(settings.index_dir) == served


# Defect 3: refresh → review → publish on the maintainer page.
@pytest.mark.slow
def test_a_staged_refresh_is_reviewed_and_published_from_the_page(
    staff, own_index, corpus_copy, pages, server, record_answer, quote_of, unique_sentences, monkeypatch, tmp_path
):
    from ingest import Fetcher, refresh

    labelled = tmp_path / "eval" / "small.jsonl"
    labelled.parent.mkdir()
    labelled.write_text("\n".join(LABELLED.read_text(encoding="utf-8").splitlines()[:4]) + "\n", encoding="utf-8")
    monkeypatch.setenv("MBC_EVAL_FILE", str(labelled))
    monkeypatch.setenv("MBC_HOLD_SHARE", "0.001")
    settings = settings_from_env()
    build(settings)
    served = idx.load(settings.index_dir)
    gone = unique_sentences(served, DOC)[0]
    cited = served.texts[DOC][gone.start : gone.end]
    record_answer("what is it?", [quote_of(served, DOC, gone.start, gone.end)], index_version=served.version)
    new_text = served.texts[DOC].replace(cited, "") + "\nUpdated by its publisher: ask your care team.\n"
    server.plain[f"/{DOC}"] = new_text
    _point_at(corpus_copy, server)
    build(settings)  # the new address is a detail of the page
    served_version = idx.current_version(settings.index_dir)
    candidate = refresh(settings, fetcher=Fetcher(deadline_s=5, allow_loopback_for_tests=True)).staged
    assert candidate.held == [DOC]

    at = pages.open_signed_in(pages.maintainer, "max")
    staged = table_with(at, "held")
    assert staged[staged["page"] == DOC].iloc[0].to_dict()["held"] == "held"
    diff = next(c.value for c in at.code if "(staged)" in c.value)
    assert "+Updated by its publisher: ask your care team." in diff
    assert {m.label: m.value for m in at.metric}["Citations it would make stale"] == "1"

    at.button(key="evaluate-candidate").click().run()
    pages.ok(at)
    compared = table_with(at, "candidate")
    assert list(compared.columns) == ["figure", "served index", "candidate", "change", "verdict"]

    at.button(key="publish").click().run()  # not approved yet
    pages.ok(at)
    assert any("is held for approval" in e.value for e in at.error)
    assert idx.current_version(settings.index_dir) == served_version

    at.checkbox(key=f"approve-{DOC}").check().run()
    at.button(key="publish").click().run()
    pages.ok(at)
    assert any(f"now serving index version {candidate.candidate_version}" in s.value for s in at.success)
    assert idx.current_version(settings.index_dir) == candidate.candidate_version
    assert (corpus_copy / f"{DOC}.txt").read_text(encoding="utf-8") == new_text
    assert "Nothing is staged." in pages.text(at)
    actions = table_with(at, "action")
    assert list(actions["action"])[:2] == ["publish", "publish failed"]


# Defect 10: the evaluation box read any path on the server.
OUTSIDE = [("absolute path", "/etc/passwd"), ("climbing out", "../../../../etc/passwd")]


@pytest.mark.parametrize("path", [o[1] for o in OUTSIDE], ids=[o[0] for o in OUTSIDE])
def test_the_evaluation_box_reads_only_the_evaluation_folder(
    staff, use_built_index, pages, tmp_path, monkeypatch, path
):
    monkeypatch.setenv("MBC_EVAL_DIR", str(tmp_path))
    at = pages.open_signed_in(pages.maintainer, "max")
    at.text_input(key="eval-file").input(path)
    at.button(key="run-eval").click().run()
    pages.ok(at)
    (error,) = at.error
    assert error.value.startswith(f"Only labelled files inside {tmp_path.resolve()} can be run (MBC_EVAL_DIR);")


@pytest.mark.slow
def test_run_evaluation_shows_figures_next_to_the_previous_run(
    staff, use_built_index, pages, tmp_path, isolated_env, monkeypatch
):
    monkeypatch.setenv("MBC_EVAL_DIR", str(tmp_path))
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
    assert len(runs) == 2 and runs[0].run_by == "max" and runs[0].eval_file == str(labelled.resolve())
    assert second["previous run"].fillna(-1).tolist() == first["this run"].fillna(-1).tolist()
    hit_at_1 = second[second["figure"] == "right page first (hit@1)"].iloc[0]
    assert hit_at_1["this run"] == f"{runs[0].overall['hit_at_1'] * 100:.1f} %" and hit_at_1["verdict"] == "same"
    assert hit_at_1["change"] == "+0.0 points"


def test_a_missing_labelled_file_is_reported_calmly(staff, use_built_index, pages, tmp_path, monkeypatch):
    monkeypatch.setenv("MBC_EVAL_DIR", str(tmp_path))
    at = pages.open_signed_in(pages.maintainer, "max")
    at.text_input(key="eval-file").input(str(tmp_path / "nowhere.jsonl"))
    at.button(key="run-eval").click().run()
    pages.ok(at)
    assert [e.value for e in at.error] == [f"There is no labelled file at {Path(tmp_path / 'nowhere.jsonl')}."]


def test_the_default_labelled_file_comes_from_settings(staff, use_built_index, pages, monkeypatch, tmp_path):
    monkeypatch.setenv("MBC_EVAL_FILE", str(tmp_path / "mine.jsonl"))
    at = pages.open_signed_in(pages.maintainer, "max")
    assert at.text_input(key="eval-file").value == str(tmp_path / "mine.jsonl")


# Index integrity: a damaged served version is named on the maintainer page, with the version patients get.
@pytest.mark.slow
def test_a_served_version_that_fails_its_check_is_named_with_the_one_served_instead(
    staff, own_index, corpus_copy, pages
):
    settings = settings_from_env()
    older = idx.current_version(settings.index_dir)
    newer = build(settings).version  # the corpus copy's paths differ: a second version
    vectors = settings.index_dir / "versions" / newer / "passage_vectors.npy"
    data = bytearray(vectors.read_bytes())
    data[-1] ^= 0xFF
    vectors.write_bytes(bytes(data))
    at = pages.ok(pages.open_signed_in(pages.maintainer, "max"))
    notice = next(e.value for e in at.error if "failed its integrity check" in e.value)
    assert notice.startswith(f"The served index version {newer} failed its integrity check")
    assert "passage_vectors.npy has changed since it was written" in notice
    assert f"Patients are answered from version {older}, the newest intact one" in notice
    assert load(settings).index_version == older  # and so they are
