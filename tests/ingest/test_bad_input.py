"""Bad pages and a bad manifest get a clear message naming the file, and nothing is written."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import index
from errors import CorpusError, StorageError
from ingest import build
from settings import REPO_ROOT, Settings, settings_from_env

pytestmark = pytest.mark.slow


def _add_manifest_entry(corpus: Path, entry: dict) -> None:
    sources = json.loads((corpus / "sources.json").read_text(encoding="utf-8"))
    (corpus / "sources.json").write_text(json.dumps([*sources, entry]), encoding="utf-8")


def _set_field(corpus: Path, file: str, name: str, value: object, *, drop: bool = False) -> None:
    sources = json.loads((corpus / "sources.json").read_text(encoding="utf-8"))
    for entry in sources:
        if entry["file"] == file:
            if drop:
                entry.pop(name)
            else:
                entry[name] = value
    (corpus / "sources.json").write_text(json.dumps(sources), encoding="utf-8")


def _link_sources(corpus: Path) -> None:
    (corpus / "sources.json").rename(corpus.parent / "elsewhere.json")
    (corpus / "sources.json").symlink_to(corpus.parent / "elsewhere.json")


BAD_INPUTS = [
    ("empty page", lambda c: (c / "empty.txt").write_text("  \n\n", encoding="utf-8"), "empty.txt is empty"),
    (
        "invalid UTF-8",
        lambda c: (c / "latin.txt").write_bytes("Caf\xe9 au lait".encode("latin-1")),
        "latin.txt is not valid UTF-8 (byte 0xe9 at position 3)",
    ),
    (
        "binary file",
        lambda c: (c / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00"),
        "image.txt is a binary file",
    ),
    (
        "duplicate page",
        lambda c: shutil.copy(c / "penn-medicine.txt", c / "penn-copy.txt"),
        "penn-medicine.txt is a duplicate of",
    ),
    (
        "same page name twice",
        lambda c: (c / "penn-medicine.md").write_text("Other text.", encoding="utf-8"),
        "are the same page name",
    ),
    (
        "entry for a missing file",
        lambda c: _add_manifest_entry(c, {"file": "gone.txt", "title": "Gone", "publisher": "Gone Ltd"}),
        "lists 'gone.txt', but",
    ),
    (
        "manifest not JSON",
        lambda c: (c / "sources.json").write_text("[{oops", encoding="utf-8"),
        "sources.json is not readable JSON",
    ),
    (
        "unknown manifest field",
        lambda c: _add_manifest_entry(c, {"file": "penn-medicine.txt", "titel": "x"}),
        "unknown field(s) titel",
    ),
    # Defect 6: sources.json was not schema-checked.
    (
        "publisher not a string",
        lambda c: _set_field(c, "penn-medicine.txt", "publisher", 12345),
        'sources.json entry 1 (penn-medicine.txt), field "publisher": Input should be a valid string',
    ),
    (
        "title missing",
        lambda c: _set_field(c, "penn-medicine.txt", "title", None, drop=True),
        'sources.json entry 1 (penn-medicine.txt) needs a "title"',
    ),
    (
        "blank publisher",
        lambda c: _set_field(c, "penn-medicine.txt", "publisher", "   "),
        'field "publisher": must not be blank',
    ),
    (
        "url_confirmed not a boolean",
        lambda c: _set_field(c, "penn-medicine.txt", "url_confirmed", "yes"),
        'field "url_confirmed": Input should be a valid boolean',
    ),
    ("empty sources.json", lambda c: (c / "sources.json").write_text("[]"), "sources.json lists no pages"),
    ("no sources.json", lambda c: (c / "sources.json").unlink(), "sources.json is missing"),
    (
        "entry for a path outside the corpus",
        lambda c: _add_manifest_entry(c, {"file": "../README.md", "title": "Readme", "publisher": "Us"}),
        'field "file": must be a plain file name inside the corpus folder, not a path',
    ),
    # Defect 7: symbolic links were followed, and dangling ones silently ignored.
    (
        "link to a file outside the corpus",
        lambda c: (c / "leak.txt").symlink_to(REPO_ROOT / "README.md"),
        "leak.txt is a symbolic link (to another file)",
    ),
    (
        "dangling link",
        lambda c: (c / "gone.txt").symlink_to(c / "nowhere.txt"),
        "gone.txt is a symbolic link (to a missing file)",
    ),
    (
        "linked sources.json",
        lambda c: _link_sources(c),
        "sources.json is a symbolic link",
    ),
    # Defect 5: a 50 MB page was accepted.
    (
        "page over the size cap",
        lambda c: (c / "huge.txt").write_text("Metastatic breast cancer. " * 80_000, encoding="utf-8"),
        "huge.txt is 2,080,000 bytes; a page may be at most 2,000,000 bytes (MBC_MAX_PAGE_BYTES)",
    ),
    (
        "html with no text",
        lambda c: (c / "blank.html").write_text("<html><body><script>x()</script></body></html>", encoding="utf-8"),
        "blank.html has no main text",
    ),
]


@pytest.mark.parametrize(
    ("spoil", "message"), [(spoil, message) for _, spoil, message in BAD_INPUTS], ids=[n for n, _, _ in BAD_INPUTS]
)
def test_bad_input_is_named_and_nothing_is_written(built_index_dir, corpus_copy, tmp_path, monkeypatch, spoil, message):
    index_dir = tmp_path / "index"
    shutil.copytree(built_index_dir, index_dir)
    monkeypatch.setenv("MBC_INDEX_DIR", str(index_dir))
    versions_before = index.list_versions(index_dir)
    spoil(corpus_copy)
    with pytest.raises(CorpusError) as caught:
        build(settings_from_env())
    assert message in str(caught.value)
    assert "nothing was changed" in str(caught.value)
    assert index.list_versions(index_dir) == versions_before
    assert index.current_version(index_dir) == versions_before[-1]


def test_an_unreadable_page_is_named(corpus_copy: Path, monkeypatch: pytest.MonkeyPatch):
    # Tests run as root in CI, where file modes do not stop reads; fail the read itself instead.
    target = corpus_copy / "susan-g-komen.txt"
    real_read = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == target:
            raise PermissionError(13, "Permission denied")
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    with pytest.raises(CorpusError, match=r"susan-g-komen.txt cannot be read \(Permission denied\)"):
        build(settings_from_env())


def test_every_problem_is_listed_at_once(corpus_copy: Path):
    (corpus_copy / "empty.txt").write_text("", encoding="utf-8")
    (corpus_copy / "image.txt").write_bytes(b"\x00\x01")
    with pytest.raises(CorpusError) as caught:
        build(settings_from_env())
    assert "empty.txt is empty" in str(caught.value) and "image.txt is a binary file" in str(caught.value)


def test_a_corrupt_served_index_is_rebuilt_in_full(built_index_dir: Path, tmp_path: Path, monkeypatch):
    index_dir = tmp_path / "index"
    shutil.copytree(built_index_dir, index_dir)
    monkeypatch.setenv("MBC_INDEX_DIR", str(index_dir))
    version = index.current_version(index_dir)
    (index_dir / "versions" / version / "manifest.json").write_text("{", encoding="utf-8")
    report = build(settings_from_env())
    assert report.full and report.passages_embedded == report.total_passages
    assert any("could not be read" in w for w in report.warnings)
    assert index.load(index_dir).version == report.version


def _ingest(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ingest", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_cli_reports_changes_and_names_bad_files(built_index_dir: Path, corpus_copy: Path, tmp_path: Path):
    import os

    index_dir = tmp_path / "index"
    shutil.copytree(built_index_dir, index_dir)
    env = {**os.environ, "MBC_INDEX_DIR": str(index_dir), "MBC_CORPUS_DIR": str(corpus_copy)}
    first = _ingest(env=env)
    assert first.returncode == 0, first.stderr
    assert "Incremental update" in first.stdout and "unchanged: 5 page(s)" in first.stdout
    again = _ingest("--quiet", env=env)
    assert again.returncode == 0 and again.stdout.startswith("Index is up to date")
    (corpus_copy / "empty.txt").write_text("", encoding="utf-8")
    bad = _ingest(env=env)
    assert bad.returncode == 1
    assert "Error: The corpus" in bad.stderr and "empty.txt is empty" in bad.stderr and "Traceback" not in bad.stderr


def test_a_build_killed_mid_way_leaves_the_previous_version_served(built_index_dir: Path, tmp_path: Path):
    import os
    import signal

    index_dir = tmp_path / "index"
    shutil.copytree(built_index_dir, index_dir)
    served = index.current_version(index_dir)
    env = {**os.environ, "MBC_INDEX_DIR": str(index_dir)}
    with subprocess.Popen(
        [sys.executable, "-m", "ingest", "--full"], cwd=REPO_ROOT, env=env, stderr=subprocess.PIPE, text=True
    ) as process:
        for line in process.stderr:
            if line.startswith("… Embedding"):
                process.send_signal(signal.SIGKILL)
                break
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert index.current_version(index_dir) == served
    assert index.load(index_dir).version == served
    # The next build is not blocked by the dead one and finds its work to do.
    report = build(Settings(corpus_dir=REPO_ROOT / "corpus", index_dir=index_dir))
    assert report.up_to_date


# Defect 11: a kill's leftovers survived "up to date" runs; a full disk gave a raw OSError.
def test_leftovers_of_a_killed_run_are_cleared_at_every_start(built_index_dir: Path, corpus_copy: Path, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(built_index_dir, index_dir)
    settings = Settings(corpus_dir=corpus_copy, index_dir=index_dir)
    build(settings)  # the copy's page paths differ from the built index's: now it is up to date
    leftovers = [
        index_dir / "versions" / ".tmp-20260101T000000000000Z-4242",
        tmp_path / "staged" / ".tmp-4242-candidate",
    ]
    for folder in leftovers:
        folder.mkdir(parents=True)
        (folder / "half-written").write_bytes(b"x" * 100)
    stray_files = [index_dir / "CURRENT.tmp-4242", corpus_copy / ".penn-medicine.txt.refresh-4242"]
    for path in stray_files:
        path.write_text("half")
    assert build(settings).up_to_date
    assert [path for path in [*leftovers, *stray_files] if path.exists()] == []


def test_a_full_disk_is_one_calm_sentence_and_the_served_version_stays(
    built_index_dir: Path, corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import index.store

    index_dir = tmp_path / "index"
    shutil.copytree(built_index_dir, index_dir)
    served = index.current_version(index_dir)

    def full(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(index.store, "_write_bytes", full)
    with pytest.raises(StorageError, match=r"could not be written \(No space left on device\); the version"):
        build(Settings(corpus_dir=corpus_copy, index_dir=index_dir), full=True)
    assert index.current_version(index_dir) == served and index.list_versions(index_dir) == [served]


def test_cli_full_rebuild_names_the_version_it_replaces(built_index_dir: Path, tmp_path: Path):
    import os

    index_dir = tmp_path / "index"
    shutil.copytree(built_index_dir, index_dir)
    served = index.current_version(index_dir)
    result = _ingest("--full", "--quiet", env={**os.environ, "MBC_INDEX_DIR": str(index_dir)})
    assert result.returncode == 0, result.stderr
    assert f"(was {served})" in result.stdout and "(was none)" not in result.stdout
