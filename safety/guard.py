"""Checks made before any search: is the input usable text, is it urgent, is it a request we decline.

The urgent patterns live in ``prompts/urgent.toml`` (a second net under the learned triage,
``safety.triage``); each group of patterns names the message (from ``prompts/messages.toml``) its
matches get.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from errors import PromptError
from index import normalised_line, strip_control
from prompts import PROMPTS_DIR, Messages

URGENT_FILE = PROMPTS_DIR / "urgent.toml"
MAX_QUESTION_CHARS = 4000
_GROUP_KEYS = {"name", "message", "patterns"}


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


def load_groups(path: Path) -> tuple[PatternGroup, ...]:
    """Read a pattern file; raise ``PromptError`` naming any unknown key, missing key or bad pattern."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PromptError(f"The pattern file {path} cannot be read: {exc}") from exc
    if set(data) != {"group"} or not isinstance(data["group"], list):
        raise PromptError(f"{path} must hold only [[group]] tables; found: {', '.join(sorted(data)) or 'nothing'}")
    message_names = {f.name for f in fields(Messages)}
    groups = []
    for number, group in enumerate(data["group"], start=1):
        if set(group) != _GROUP_KEYS:
            unknown = sorted(set(group) - _GROUP_KEYS)
            missing = sorted(_GROUP_KEYS - set(group))
            raise PromptError(
                f"{path} group {number}: unknown key(s) {', '.join(unknown) or 'none'}; "
                f"missing key(s) {', '.join(missing) or 'none'}"
            )
        if group["message"] not in message_names:
            raise PromptError(
                f"{path} group {group['name']!r}: message {group['message']!r} is not one of {', '.join(sorted(message_names))}"
            )
        try:
            patterns = tuple(re.compile(p) for p in group["patterns"])
        except re.error as exc:
            raise PromptError(f"{path} group {group['name']!r} has a bad pattern: {exc}") from exc
        groups.append(PatternGroup(group["name"], group["message"], patterns))
    return tuple(groups)


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
