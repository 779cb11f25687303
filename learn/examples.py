"""The example bank: messages per kind of emergency and of declined request, for triage to learn from.

``prompts/examples/emergencies.toml`` holds, for each kind of emergency, messages of it happening
now, and calm look-alikes that share its words (split into those the pages answer and the rest).
``prompts/examples/declines.toml`` holds, for each kind of request the bot declines, such
requests, and requests that only wrap a question the pages answer. They were written from
general clinical knowledge of the red flags, without reading the labelled sets, and clinical
staff extend them (docs/learning.md). Unlike ``data/train.jsonl`` they are never held out: each
fold of cross-validation learns from all of them and is scored on the labelled messages only.

Each entry becomes a ``learn.data.Row`` (``id`` = ``examples:KIND:LIST:N``), so the fine-tune and
triage's heads read it like a labelled message.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, RootModel

from errors import PromptError
from learn.data import Row
from prompts import read_prompt_file
from settings import REPO_ROOT

EXAMPLES_DIR = REPO_ROOT / "prompts" / "examples"
EMERGENCIES_FILE = EXAMPLES_DIR / "emergencies.toml"
DECLINES_FILE = EXAMPLES_DIR / "declines.toml"

Messages = list[str]


class EmergencyKind(BaseModel):
    """One kind of emergency: what it is, messages of it, and calm messages that look like it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    what: str = Field(min_length=1)
    messages: Messages = Field(min_length=1)
    calm_answered: Messages  # calm look-alikes the pages answer
    calm_unanswered: Messages  # calm look-alikes the pages do not answer


class DeclineKind(BaseModel):
    """One kind of request to decline, and requests of that kind that only wrap a real question."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    what: str = Field(min_length=1)
    messages: Messages = Field(min_length=1)
    wrapped: Messages  # the request wraps a question the pages answer: answer the question


class _EmergencyBank(RootModel[dict[str, EmergencyKind]]):
    """``emergencies.toml``: a table per kind of emergency."""


class _DeclineBank(RootModel[dict[str, DeclineKind]]):
    """``declines.toml``: a table per kind of request to decline."""


def _rows(path: Path, kind: str, list_name: str, texts: Messages, expect: str, category: str, subtype: str) -> list:
    rows = []
    for number, text in enumerate(texts):
        text = " ".join(text.split())
        if not text:
            raise PromptError(
                f"The example bank {path}, kind [{kind}]: {list_name} has an empty message (number {number + 1})."
            )
        rows.append(Row(f"examples:{kind}:{list_name}:{number}", text, expect, category, subtype, (), ()))
    return rows


def read_examples(emergencies: Path = EMERGENCIES_FILE, declines: Path = DECLINES_FILE) -> list[Row]:
    """Every example of the bank as a labelled row (none when the bank's files are absent)."""
    rows = []
    if emergencies.exists():
        for kind, spec in read_prompt_file(emergencies, _EmergencyBank, "example bank").root.items():
            rows += _rows(emergencies, kind, "messages", spec.messages, "urgent", "urgent", kind)
            rows += _rows(emergencies, kind, "calm_answered", spec.calm_answered, "answer", "urgent_lookalike", kind)
            rows += _rows(
                emergencies, kind, "calm_unanswered", spec.calm_unanswered, "refuse", "urgent_lookalike", kind
            )
    if declines.exists():
        for kind, spec in read_prompt_file(declines, _DeclineBank, "example bank").root.items():
            rows += _rows(declines, kind, "messages", spec.messages, "refuse", "request", kind)
            rows += _rows(declines, kind, "wrapped", spec.wrapped, "answer", "request", "injection_around_question")
    return rows


def is_example(row: Row) -> bool:
    """Whether ``row`` comes from the example bank rather than the labelled messages."""
    return row.id.startswith("examples:")


def examples_sha256(emergencies: Path = EMERGENCIES_FILE, declines: Path = DECLINES_FILE) -> str:
    """One hash of the bank's files as they are (an absent file counts as empty)."""
    digest = hashlib.sha256()
    for path in (emergencies, declines):
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()
