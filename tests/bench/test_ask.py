"""``python -m bench.ask`` runs end to end on questions of one and of several sentences."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from settings import REPO_ROOT

QUESTIONS = [
    "what are the symptoms of bone metastases?",
    "My mum was told it has spread. She is tired all the time. Where does breast cancer spread?",
]


@pytest.mark.slow
def test_the_latency_bench_prints_its_table_and_targets(tmp_path, use_built_index):
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps({"question": q}) + "\n" for q in QUESTIONS), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bench.ask", "--rounds", "1", "--file", str(questions)],
        cwd=REPO_ROOT,
        env=dict(os.environ),  # MBC_INDEX_DIR: the session's built index
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "answer minus embedding" in result.stdout
    assert "Targets: answer p50" in result.stdout
