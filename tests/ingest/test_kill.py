"""kill -9 during refresh and during publish: the live corpus and the served index stay whole (defect 3).

Refresh is killed at each of its steps, seen in its progress lines. Publish is quick, so it is killed
at exact points instead: a child process replaces one step with SIGKILL to itself. After every kill
the served index loads; after the next command the corpus is wholly old or wholly new and the served
index holds exactly the corpus's texts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import index
from ingest import Fetcher, build, read_corpus, refresh, staged
from settings import REPO_ROOT, settings_from_env
from tests.ingest.test_refresh import snapshot

pytestmark = pytest.mark.slow

CHILD_REFRESH = textwrap.dedent(
    """
    from ingest import Fetcher, refresh
    refresh(fetcher=Fetcher(deadline_s=5, allow_loopback_for_tests=True), progress=print)
    """
)

# Publish with one step replaced by SIGKILL: (module, function, which call dies).
CHILD_PUBLISH = textwrap.dedent(
    """
    import importlib, os, signal, sys
    module, name, dying_call = sys.argv[1], sys.argv[2], int(sys.argv[3])
    target = importlib.import_module(module)
    real, calls = getattr(target, name), [0]
    def step(*args, **kwargs):
        if calls[0] == dying_call:
            os.kill(os.getpid(), signal.SIGKILL)
        calls[0] += 1
        return real(*args, **kwargs)
    setattr(target, name, step)
    from ingest import publish
    publish()
    """
)


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server) -> Path:
    from tests.ingest.conftest import BONE, html_page
    from tests.ingest.test_refresh import LIVER, built_corpus

    server.pages["/liver"] = html_page(*LIVER[:2], LIVER[2] + " Ask about liver function tests.")
    server.pages["/page"] = html_page(*BONE)
    return built_corpus(tmp_path / "pages", server, monkeypatch)


def assert_whole(corpus: Path, expected: list[dict[str, bytes]]) -> None:
    """The corpus is one of the expected states, and the served index holds exactly its texts."""
    assert snapshot(corpus) in expected
    settings = settings_from_env()
    served = index.load(settings.index_dir)
    pages = read_corpus(corpus).pages
    assert {page.doc_id: page.text for page in pages} == served.texts


REFRESH_STEPS = ["Fetching", "Building the candidate index", "Embedding", "Writing the new index version"]


@pytest.mark.parametrize("step", REFRESH_STEPS)
def test_refresh_killed_at_any_step_leaves_live_whole(corpus: Path, step: str):
    settings = settings_from_env()
    served, before = index.current_version(settings.index_dir), snapshot(corpus)
    with subprocess.Popen(
        [sys.executable, "-c", CHILD_REFRESH], cwd=REPO_ROOT, env=dict(os.environ), stdout=subprocess.PIPE, text=True
    ) as child:
        for line in child.stdout:
            if line.startswith(step):
                child.send_signal(signal.SIGKILL)
                break
        child.wait(timeout=120)
    assert child.returncode == -signal.SIGKILL
    assert snapshot(corpus) == before and index.current_version(settings.index_dir) == served
    assert_whole(corpus, [before])
    assert staged(settings) is None  # a half-staged candidate is never shown
    assert not settings.staging_dir.exists() or list(settings.staging_dir.iterdir()) == []  # no leftovers
    # The next refresh is not blocked and stages the candidate.
    assert refresh(settings, fetcher=Fetcher(deadline_s=5, allow_loopback_for_tests=True)).staged is not None


PUBLISH_KILLS = [
    ("before the journal", "ingest.stage", "write_journal", 0, "old"),
    ("before the first page is copied", "ingest.recover", "replace_file", 0, "new"),
    ("between the two pages", "ingest.recover", "replace_file", 1, "new"),
    ("before the new version is served", "index", "switch_to", 0, "new"),
]


@pytest.mark.parametrize(
    ("module", "function", "call", "after"), [k[1:] for k in PUBLISH_KILLS], ids=[k[0] for k in PUBLISH_KILLS]
)
def test_publish_killed_at_any_point_is_all_or_nothing(corpus: Path, module: str, function: str, call: int, after):
    settings = settings_from_env()
    served, before = index.current_version(settings.index_dir), snapshot(corpus)
    candidate = refresh(settings, fetcher=Fetcher(deadline_s=5, allow_loopback_for_tests=True)).staged
    assert sorted(p.doc_id for p in candidate.updated) == ["bone", "liver"]
    new = {**before, **{p.name: p.read_bytes() for p in candidate.corpus_dir.iterdir() if p.suffix == ".txt"}}

    child = subprocess.run(
        [sys.executable, "-c", CHILD_PUBLISH, module, function, str(call)],
        cwd=REPO_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert child.returncode == -signal.SIGKILL, child.stderr
    assert index.load(settings.index_dir).version in (served, candidate.candidate_version)
    # The next command finishes a decided publish, or finds nothing was decided.
    shown = subprocess.run(
        [sys.executable, "-m", "ingest", "staged"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert shown.returncode == 0, shown.stderr
    expected = before if after == "old" else new
    assert_whole(corpus, [expected])
    version = index.current_version(settings.index_dir)
    assert version == (served if after == "old" else candidate.candidate_version)
    assert (staged(settings) is None) == (after == "new")
    assert json.loads((corpus / "sources.json").read_text(encoding="utf-8"))[0]["file"] == "bone.txt"
    assert build(settings).up_to_date
