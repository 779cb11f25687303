"""Load the patient-facing texts from ``prompts/messages.toml`` into a checked dataclass."""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from errors import PromptError
from settings import REPO_ROOT

PROMPTS_DIR = REPO_ROOT / "prompts"
MESSAGES_FILE = PROMPTS_DIR / "messages.toml"


@dataclass(frozen=True)
class Messages:
    """Every message a patient can read besides the quotes.

    >>> messages = load_messages()
    >>> messages.too_long.format(length=20000, max_chars=4000)
    """

    answered: str
    refused: str
    refused_request: str
    refused_personal: str
    refused_decision: str
    refused_no_context: str
    safety_line: str
    urgent_emergency: str
    urgent_self_harm: str
    empty: str
    too_long: str
    not_text: str


# The {variables} each template must use; any other variable is an error.
TEMPLATE_VARIABLES: dict[str, frozenset[str]] = {
    "too_long": frozenset({"length", "max_chars"}),
}


def load_messages(path: Path = MESSAGES_FILE) -> Messages:
    """Read and check the messages file; raise ``PromptError`` naming what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PromptError(f"The messages file {path} cannot be read: {exc}") from exc
    expected = [f.name for f in fields(Messages)]
    unknown = sorted(set(data) - set(expected))
    missing = [name for name in expected if name not in data]
    if unknown:
        raise PromptError(f"{path} has unknown message(s): {', '.join(unknown)}; expected: {', '.join(expected)}")
    if missing:
        raise PromptError(f"{path} is missing message(s): {', '.join(missing)}")
    for name in expected:
        value = data[name]
        if not isinstance(value, str) or not value.strip():
            raise PromptError(f"{path}: message {name!r} must be non-empty text")
        _check_variables(path, name, value, TEMPLATE_VARIABLES.get(name, frozenset()))
    return Messages(**{name: data[name].strip() for name in expected})


def _check_variables(path: Path, name: str, template: str, allowed: frozenset[str]) -> None:
    try:
        used = {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
    except ValueError as exc:
        raise PromptError(f"{path}: message {name!r} is not a valid template ({exc})") from exc
    if used - allowed:
        raise PromptError(
            f"{path}: message {name!r} uses unknown variable(s) {', '.join(sorted(used - allowed))}; "
            f"it may use: {', '.join(sorted(allowed)) or 'none'}"
        )
    if allowed - used:
        raise PromptError(f"{path}: message {name!r} is missing variable(s) {', '.join(sorted(allowed - used))}")
