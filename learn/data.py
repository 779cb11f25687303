"""The labelled messages everything is fitted on, and what each one teaches.

``data/train.jsonl`` is for fitting and cross-validation, ``data/dev.jsonl`` for the check
after fitting (never fitted on). Fields are described in ``data/README.md``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from evaluation import read_cases
from index import filled_from
from settings import REPO_ROOT

DATA_DIR = REPO_ROOT / "data"
TRAIN_FILE = DATA_DIR / "train.jsonl"
DEV_FILE = DATA_DIR / "dev.jsonl"


@dataclass(frozen=True)
class Row:
    """One labelled message."""

    id: str
    question: str
    expect: str  # answer | refuse | urgent
    category: str
    subtype: str
    evidence: tuple[tuple[str, str], ...]  # (seed, exact text)
    history: tuple[str, ...]  # earlier questions, oldest first

    @property
    def label(self) -> str:
        """The triage class this row teaches: answer, refuse, no_context, decline:KIND or urgent:KIND."""
        if self.expect == "urgent":
            return f"urgent:{self.subtype or 'unspecified'}"
        if self.category == "no_context":
            return "no_context"
        if self.expect == "refuse" and self.category in {"request", "adversarial"}:
            return f"decline:{self.subtype or 'unspecified'}"
        return "answer" if self.expect == "answer" else "refuse"

    @property
    def text(self) -> str:
        """What the triage head reads: the message after the earlier questions it follows."""
        return conversation_text(self.question, self.history)

    def history_turns(self) -> list[dict]:
        """The history as the app passes it to ``Bot.ask``."""
        return [{"role": "user", "content": q} for q in self.history]


def conversation_text(question: str, history: tuple[str, ...] | list[str] = ()) -> str:
    """The last earlier question, then the message: how a follow-up is read as a whole."""
    return f"{history[-1]} {question}" if history else question


def read_rows(path: Path = TRAIN_FILE) -> list[Row]:
    """Read a labelled JSONL file (with ``evaluation.read_cases``, which names a wrong line)."""
    return [
        filled_from(
            Row, case, history=tuple(t["content"] for t in case.history if isinstance(t, dict) and "content" in t)
        )
        for case in read_cases(Path(path))
    ]


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def classes_of(rows: list[Row]) -> tuple[str, ...]:
    """The triage head's classes for ``rows``: the plain ones first, then each kind, sorted."""
    plain = ("answer", "refuse", "no_context")
    return plain + tuple(sorted({row.label for row in rows} - set(plain)))
