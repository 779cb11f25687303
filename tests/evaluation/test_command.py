"""``python -m evaluation``: the harness's command, run as maintainers run it."""

from __future__ import annotations

import os
import subprocess
import sys

from settings import REPO_ROOT


def test_the_command_without_an_index_says_how_to_build_one():
    done = subprocess.run(
        [sys.executable, "-m", "evaluation", "data/dev.jsonl"],
        cwd=REPO_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("Error: ") and "python -m ingest" in done.stderr


def test_the_command_names_itself_in_its_help():
    done = subprocess.run(
        [sys.executable, "-m", "evaluation", "--help"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.startswith("usage: python -m evaluation ")
