"""Checks made before any search: is the input usable text, is it urgent, is it a request we decline.

The urgent patterns live in ``prompts/urgent.toml`` (a second net under the learned triage,
``safety.triage``); each group of patterns names the message (from ``prompts/messages.toml``) its
matches get.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import field_validator

from index import normalised_line, strip_control
from prompts import PROMPTS_DIR, Messages, NonEmptyText, Patterns, PromptFile, compiled, read_prompt_file

__all__ = [
    "MAX_QUESTION_CHARS",
    "URGENT_FILE",
    "InputProblem",
    "PatternGroup",
    "clean_input",
    "first_match",
    "load_groups",
]

URGENT_FILE = PROMPTS_DIR / "urgent.toml"
MAX_QUESTION_CHARS = 4000


@dataclass(frozen=True)
class PatternGroup:
    """Patterns that all lead to the same message."""

    name: str
    message: str  # a field of ``Messages``
    patterns: tuple[re.Pattern, ...]

    def matches(self, normalised: str) -> bool:
        return any(pattern.search(normalised) for pattern in self.patterns)


@dataclass(frozen=True)
class InputProblem:
    """Why an input cannot be answered, as the name of its message and the template's values."""

    message: str
    values: dict


class _GroupEntry(PromptFile):
    name: NonEmptyText
    message: str  # a field of ``Messages``
    patterns: Patterns

    @field_validator("message")
    @classmethod
    def _is_a_message(cls, message: str) -> str:
        if message not in Messages.model_fields:
            raise ValueError(f"message {message!r} is not one of {', '.join(sorted(Messages.model_fields))}")
        return message


class _PatternFile(PromptFile):
    group: list[_GroupEntry]


def load_groups(path: Path) -> tuple[PatternGroup, ...]:
    """Read a pattern file; raise ``PromptError`` naming any unknown key, missing key or bad pattern."""
    content = read_prompt_file(path, _PatternFile, "pattern file")
    return tuple(PatternGroup(group.name, group.message, compiled(group.patterns)) for group in content.group)


def first_match(groups: tuple[PatternGroup, ...], text: str) -> PatternGroup | None:
    """The first group with a pattern found in ``text`` (normalised here), or None."""
    normalised = normalised_line(text)
    return next((group for group in groups if group.matches(normalised)), None)


def clean_input(question: object, *, max_chars: int = MAX_QUESTION_CHARS) -> tuple[str, InputProblem | None]:
    """The question with control characters removed, or the problem that stops it being answered."""
    if isinstance(question, bytes):
        try:
            question = question.decode("utf-8")
        except UnicodeDecodeError:
            return "", InputProblem("not_text", {})
    if not isinstance(question, str):
        return "", InputProblem("not_text", {})
    text = strip_control(question)
    text = " ".join(text.split())
    if not text:
        return "", InputProblem("empty", {})
    if len(text) > max_chars:
        return text, InputProblem("too_long", {"length": f"{len(text):,}", "max_chars": f"{max_chars:,}"})
    if not re.search(r"[^\W\d_]", text):  # digits and symbols only
        return text, InputProblem("empty", {})
    return text, None
