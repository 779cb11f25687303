"""Defects 9 and 11: the CLI stream never dies on a line, and prints nothing a terminal would act on.

Through the real ``python -m ask`` in a subprocess, with the real index, under a strict locale.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from settings import REPO_ROOT, Settings

pytestmark = pytest.mark.slow

GOOD = b"what are the symptoms of bone mets?\n"
NESTED = b'{"question": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
SURROGATE_HISTORY = (
    json.dumps({"question": "what about the liver?", "history": [{"role": "user", "content": "bone \ud800 mets"}]})
    + "\n"
).encode("ascii")

# Each bad line → what its output line holds; the good lines around it are answered.
BAD_LINES = [
    ("invalid UTF-8", b"Caf\xe9 au lait, is it safe?\n", "line 2 was not answered: it is not valid UTF-8 (byte 0xe9"),
    ("deeply nested JSON", NESTED, "line 2 was not answered: it is JSON nested too deeply to read"),
    ("a lone surrogate in history", SURROGATE_HISTORY, None),  # answered: bot.ask never raises on history
    ("a lone surrogate in the question", b'{"question": "liver \\ud800 mets"}\n', None),
    ("a question that is a number", b'{"question": 12345}\n', None),
    ("a history that is a string", b'{"question": "and the liver?", "history": "bone mets"}\n', None),
]


def run_cli(args: list[str], stdin: bytes, index_dir: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MBC_INDEX_DIR": str(index_dir), "LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": "ascii"}
    env.pop("PYTHONUTF8", None)
    return subprocess.run(
        [sys.executable, "-X", "utf8=0", "-m", "ask", *args],
        cwd=REPO_ROOT,
        input=stdin,
        env=env,
        capture_output=True,
        timeout=300,
    )


@pytest.mark.parametrize(("line", "error"), [b[1:] for b in BAD_LINES], ids=[b[0] for b in BAD_LINES])
def test_a_bad_line_gets_an_error_object_and_the_stream_goes_on(built_index_dir: Path, line: bytes, error):
    result = run_cli(["--jsonl"], GOOD + line + GOOD, built_index_dir)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert b"Traceback" not in result.stderr
    rows = [json.loads(out) for out in result.stdout.decode("ascii").splitlines()]
    assert len(rows) == 3
    assert rows[0]["status"] == rows[2]["status"] == "answered"
    if error is None:
        assert rows[1]["status"] in ("answered", "refused")
    else:
        assert rows[1]["line"] == 2 and rows[1]["error"].startswith(error)


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real pages with terminal escape codes before every "bone", and javascript: addresses."""
    from ingest import build

    corpus = tmp_path_factory.mktemp("escape-corpus")
    for page in sorted((REPO_ROOT / "corpus").glob("*.txt")):
        text = page.read_text(encoding="utf-8").replace("bone", "\x1b[2J\x1b[31mbone\x07")
        (corpus / page.name).write_text(text, encoding="utf-8")
    sources = json.loads((REPO_ROOT / "corpus" / "sources.json").read_text(encoding="utf-8"))
    for entry in sources:
        entry.update(url="javascript:alert(1)", publisher=entry["publisher"] + " \x1b]0;owned\x07")
    (corpus / "sources.json").write_text(json.dumps(sources), encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("escape-index")
    build(Settings(corpus_dir=corpus, index_dir=index_dir))
    return index_dir


@pytest.mark.parametrize(
    "args", [["what are the symptoms of bone mets?"], ["--json", "what are the symptoms of bone mets?"]]
)
def test_escape_codes_and_javascript_addresses_are_never_printed(hostile_index: Path, args: list[str]):
    result = run_cli(args, b"", hostile_index)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    out = result.stdout.decode("ascii")
    assert "\x1b" not in out and "\x07" not in out
    assert "javascript:" not in out
    if args[0] != "--json":
        assert "[1] " in out and "bone" in out and "[2J" not in out
    else:
        quotes = json.loads(out)["quotes"]
        assert quotes and {quote["url"] for quote in quotes} == {None}
        assert any("\\u001b" in line for line in out.splitlines())  # JSON keeps the page's text, escaped
