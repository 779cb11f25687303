"""`refresh` → review → `publish`, against a real HTTP server on 127.0.0.1 (defects 1, 2 and 3).

Refresh stages a candidate and never touches the live corpus or the served index; publish makes the
candidate live in one step; junk answers fail; a candidate that is not a valid corpus is not staged.
The fetcher here carries the test-only loopback allowance; the CLI tests show that without it
loopback addresses are refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import index
from errors import RefreshError
from ingest import Fetcher, build, discard, publish, refresh, staged
from ingest.html import extract_main_text
from settings import REPO_ROOT, settings_from_env
from tests.ingest.conftest import BONE, html_page

pytestmark = pytest.mark.slow

LIVER = (
    "Liver metastases",
    "Liver metastases often cause no symptoms at first. Later they can cause tiredness, a swollen belly, "
    "pain under the ribs on the right side and yellowing of the skin or the whites of the eyes.",
    "Blood tests and scans of the liver help your care team see how the cancer is responding to treatment.",
)
# The bone page as the corpus holds it: the site has since changed one sentence.
OLD_BONE = html_page(BONE[0], BONE[1], BONE[2], "Talk with your doctor about what this means for you.")


def loopback_fetcher(**kwargs) -> Fetcher:
    return Fetcher(allow_loopback_for_tests=True, **{"deadline_s": 3.0, **kwargs})


def write_corpus(corpus: Path, address: str, urls: dict[str, str | None]) -> None:
    texts = {
        "bone.txt": extract_main_text(OLD_BONE),
        "liver.txt": extract_main_text(html_page(*LIVER)),
        "missing.txt": "Brain metastases\n\n"
        + "Headaches and changes in vision can be signs of brain metastases. " * 4,
        "offline.txt": "Coping\n\n" + "Many people find that a support group helps them cope with the diagnosis. " * 4,
    }
    corpus.mkdir(exist_ok=True)
    for name, text in texts.items():
        (corpus / name).write_text(text, encoding="utf-8")
    sources = [
        {
            "file": name,
            "title": name[:-4].title(),
            "publisher": "Test",
            "url": f"{address}{urls[name]}" if urls.get(name) else None,
            "allow_http": True,
        }
        for name in texts
    ]
    (corpus / "sources.json").write_text(json.dumps(sources), encoding="utf-8")


URLS = {"bone.txt": "/page", "liver.txt": "/liver", "missing.txt": "/missing", "offline.txt": None}


@pytest.fixture
def small_corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server) -> Path:
    server.pages["/liver"] = html_page(*LIVER)
    return built_corpus(tmp_path / "pages", server, monkeypatch)


def built_corpus(folder: Path, server, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The corpus of ``URLS`` at ``server`` written into ``folder``, made the live corpus and built."""
    write_corpus(folder, server.url(""), URLS)
    monkeypatch.setenv("MBC_CORPUS_DIR", str(folder))
    build(settings_from_env())
    return folder


def snapshot(corpus: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(corpus.iterdir())}


def test_refresh_stages_and_changes_nothing_live_until_published(small_corpus: Path):
    settings = settings_from_env()
    served, before = index.current_version(settings.index_dir), snapshot(small_corpus)

    report = refresh(settings, fetcher=loopback_fetcher())

    assert {p.doc_id: p.outcome for p in report.pages} == {
        "bone": "updated",
        "liver": "unchanged",
        "missing": "failed",
        "offline": "skipped",
    }
    assert report.reason("missing") == "the server answered HTTP 404 Not Found"
    assert snapshot(small_corpus) == before and index.current_version(settings.index_dir) == served
    candidate = staged(settings)
    assert candidate is not None and [p.doc_id for p in candidate.updated] == ["bone"] and candidate.held == []
    bone = candidate.updated[0]
    assert "-Talk with your doctor about what this means for you." in bone.diff
    assert "+Talk with your care team about what this means for you and about ways to manage the pain." in bone.diff
    assert 0 < bone.change_share < 0.2
    assert "Nothing is live yet" in report.summary()
    # The candidate's index already holds the new text, cited as the live corpus's page.
    staged_index = index.load(candidate.index_dir, candidate.candidate_version)
    assert "ways to manage the pain" in staged_index.texts["bone"]
    assert staged_index.page("bone").path == str((small_corpus / "bone.txt").resolve())
    assert "ways to manage the pain" not in index.load(settings.index_dir).texts["bone"]

    result = publish(settings)

    assert result.pages == ["bone.txt"] and result.previous_version == served
    live = index.load(settings.index_dir)
    assert live.version == candidate.candidate_version == result.version
    assert "ways to manage the pain" in live.texts["bone"] and "ways to manage the pain" in (
        small_corpus / "bone.txt"
    ).read_text(encoding="utf-8")
    assert {n: d for n, d in snapshot(small_corpus).items() if n != "bone.txt"} == {
        n: d for n, d in before.items() if n != "bone.txt"
    }
    assert staged(settings) is None
    assert build(settings).up_to_date  # the live corpus and the served index agree


# Defect 2: junk answers with HTTP 200 were reported "updated" and served to patients.
JUNK = [
    ("block page", "/denied", "has only 29 characters of main text"),
    ("JSON error", "/json", "the server sent application/json, not a page"),
    ("JSON labelled HTML", "/json-as-html", "has no main text"),
    ("latin-1 labelled UTF-8", "/latin-labelled-utf8", "labelled utf-8 but byte 0xe9"),
    ("another page entirely", "/other", "very unlike the served page"),
    ("redirect to loopback host name", "/to-localhost", "the host localhost is not one that sources.json lists"),
]


@pytest.mark.parametrize(("path", "reason"), [j[1:] for j in JUNK], ids=[j[0] for j in JUNK])
def test_junk_answers_fail_and_nothing_is_staged(small_corpus: Path, server, path: str, reason: str):
    server.pages["/other"] = html_page(
        "Our shop",
        "Browse hundreds of gifts, cards and calendars in our online shop, with free delivery on orders "
        "over twenty pounds and easy returns within thirty days of purchase.",
        "Sign up to our newsletter to hear about seasonal offers, competitions and new collections first.",
    )
    write_corpus(small_corpus, server.url(""), {**URLS, "bone.txt": path})
    settings = settings_from_env()
    build(settings)
    served, before = index.current_version(settings.index_dir), snapshot(small_corpus)

    report = refresh(settings, fetcher=loopback_fetcher())

    assert report.outcome("bone") == "failed" and reason in report.reason("bone")
    assert report.staged is None and staged(settings) is None
    assert snapshot(small_corpus) == before and index.current_version(settings.index_dir) == served


def test_a_page_changed_beyond_the_hold_share_waits_for_approval(small_corpus: Path, server, monkeypatch):
    monkeypatch.setenv("MBC_HOLD_SHARE", "0.05")
    settings = settings_from_env()
    served = index.current_version(settings.index_dir)
    refresh(settings, fetcher=loopback_fetcher())
    assert staged(settings).held == ["bone"]

    with pytest.raises(RefreshError, match=r"bone changed by more than 5% of its text and is held"):
        publish(settings)
    assert index.current_version(settings.index_dir) == served
    with pytest.raises(RefreshError, match=r"--approve names liver, which the staged refresh did not change"):
        publish(settings, approve=["bone", "liver"])

    result = publish(settings, approve=["bone"])
    assert result.approved == ["bone"] and index.current_version(settings.index_dir) == result.version


# Defect 3: files were replaced one by one before the build, which then rejected the corpus.
def test_a_candidate_that_is_not_a_valid_corpus_is_not_staged(small_corpus: Path, server):
    # Two pages on one topic; both addresses now answer with the same text.
    carers = html_page(BONE[0], BONE[1], BONE[2], "Carers can ask the care team what this means too.")
    (small_corpus / "liver.txt").write_text(extract_main_text(carers), encoding="utf-8")
    server.pages["/liver"] = html_page(*BONE)
    settings = settings_from_env()
    build(settings)
    served, before = index.current_version(settings.index_dir), snapshot(small_corpus)

    report = refresh(settings, fetcher=loopback_fetcher())

    assert report.outcome("bone") == report.outcome("liver") == "updated"
    assert "were not staged" in report.not_staged and "is a duplicate of" in report.not_staged
    assert report.staged is None and staged(settings) is None
    assert snapshot(small_corpus) == before and index.current_version(settings.index_dir) == served
    assert build(settings).up_to_date  # and the next build is not broken


def test_publish_refuses_when_the_live_corpus_changed_since_staging(small_corpus: Path):
    settings = settings_from_env()
    refresh(settings, fetcher=loopback_fetcher())
    (small_corpus / "offline.txt").write_text("Coping\n\n" + "An edit made by hand after the refresh. " * 8)
    with pytest.raises(RefreshError, match="the live corpus changed since this refresh was staged"):
        publish(settings)
    assert discard(settings) is True and staged(settings) is None and discard(settings) is False


def _ingest(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ingest", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )


# Defect 1 through the real CLI: no test allowance there, so the loopback server is refused.
def test_cli_refresh_refuses_every_address_outside_the_rules(small_corpus: Path, server, tmp_path: Path):
    sources = json.loads((small_corpus / "sources.json").read_text(encoding="utf-8"))
    addresses = {
        "bone.txt": server.url("/page"),
        "liver.txt": f"file://{tmp_path}/secret.txt",
        "missing.txt": "data:text/plain,Headaches and changes in vision",
        "offline.txt": server.url("/to-localhost"),
    }
    (tmp_path / "secret.txt").write_text("a secret")
    for entry in sources:
        entry["url"] = addresses[entry["file"]]
    sources[0]["allow_http"] = False
    (small_corpus / "sources.json").write_text(json.dumps(sources), encoding="utf-8")
    before = snapshot(small_corpus)
    env = {**os.environ}

    result = _ingest("refresh", env=env)

    assert result.returncode == 0, result.stderr
    lines = {line.split()[1]: line for line in result.stdout.splitlines() if line.startswith("  ")}
    assert "failed" in lines["bone"] and "is http, not https" in lines["bone"]
    assert "failed" in lines["liver"] and "uses file scheme" in lines["liver"]
    assert "failed" in lines["missing"] and "uses data scheme" in lines["missing"]
    assert "failed" in lines["offline"] and "127.0.0.1, a loopback address" in lines["offline"]
    assert "nothing is staged" in result.stdout
    assert server.requests == [] and snapshot(small_corpus) == before

    nothing = _ingest("publish", env=env)
    assert nothing.returncode == 1 and "Nothing is staged" in nothing.stderr and "Traceback" not in nothing.stderr
    shown = _ingest("staged", env=env)
    assert shown.returncode == 0 and shown.stdout.startswith("Nothing is staged")


def test_the_candidate_cli_names_stale_citations_and_compares_evaluations(small_corpus: Path, tmp_path: Path):
    from ask import Answer, Quote
    from audit import AuditLog

    settings = settings_from_env()
    served = index.load(settings.index_dir)
    old = served.texts["bone"].index("Talk with your doctor")
    end = served.texts["bone"].index("\n", old)
    page = served.page("bone")
    quote = {"text": served.texts["bone"][old:end], "doc_id": "bone", "path": page.path, "title": page.title}
    quote |= {"publisher": page.publisher, "url": None, "start": old, "end": end, "score": 0.5}
    AuditLog(settings.audit_db).record(Answer("q", "answered", "m", served.version, (Quote(**quote),)), 0)
    refresh(settings, fetcher=loopback_fetcher())
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text(
        json.dumps({"id": "b1", "question": "what is the most common sign of bone metastases?", "expect": "answer"})
        + "\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "staff.candidate", "--eval", str(labelled)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert f"Citations the candidate {staged(settings).candidate_version} would make stale: 1" in result.stdout
    assert "answer #1, citation 1 (bone): gone" in result.stdout
    assert "figure" in result.stdout and "served" in result.stdout and "candidate" in result.stdout


def test_review_and_publish_through_the_cli(small_corpus: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MBC_HOLD_SHARE", "0.05")
    settings = settings_from_env()
    candidate = refresh(settings, fetcher=loopback_fetcher()).staged
    env = dict(os.environ)

    shown = _ingest("staged", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "updated   bone, 8% of its text changed — HELD: changed more than 5%" in shown.stdout
    assert "+Talk with your care team about what this means for you and about ways to manage the pain." in shown.stdout
    assert "Publish with: python -m ingest publish --approve bone" in shown.stdout

    held = _ingest("publish", env=env)
    assert held.returncode == 1 and "bone changed by more than 5% of its text and is held" in held.stderr
    assert "Traceback" not in held.stderr and index.current_version(settings.index_dir) == candidate.base_version

    published = _ingest("publish", "--approve", "bone", "--quiet", env=env)
    assert published.returncode == 0, published.stderr
    assert published.stdout.startswith(f"Published: now serving index version {candidate.candidate_version}")
    assert "approved despite large changes: bone" in published.stdout
    assert index.current_version(settings.index_dir) == candidate.candidate_version

    refresh(settings, fetcher=loopback_fetcher(), timeout=None)  # nothing new now
    assert _ingest("discard", env=env).stdout.strip() == "Nothing was staged."
