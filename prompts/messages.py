"""Load the patient-facing texts from ``prompts/messages.toml`` into a checked model."""

from __future__ import annotations

import string
from pathlib import Path

from pydantic import ValidationInfo, field_validator

from prompts.files import NonEmptyText, PromptFile, read_prompt_file
from settings import REPO_ROOT

PROMPTS_DIR = REPO_ROOT / "prompts"
MESSAGES_FILE = PROMPTS_DIR / "messages.toml"

# The {variables} each template must use; any other variable is an error.
TEMPLATE_VARIABLES: dict[str, frozenset[str]] = {
    "too_long": frozenset({"length", "max_chars"}),
}


class Messages(PromptFile):
    """Every message a patient can read besides the quotes.

    >>> messages = load_messages()
    >>> messages.too_long.format(length=20000, max_chars=4000)
    """

    answered: NonEmptyText
    refused: NonEmptyText
    refused_request: NonEmptyText
    refused_personal: NonEmptyText
    refused_decision: NonEmptyText
    refused_no_context: NonEmptyText
    safety_line: NonEmptyText
    urgent_emergency: NonEmptyText
    urgent_self_harm: NonEmptyText
    empty: NonEmptyText
    too_long: NonEmptyText
    not_text: NonEmptyText

    @field_validator("*")
    @classmethod
    def _uses_its_variables(cls, template: str, info: ValidationInfo) -> str:
        allowed = TEMPLATE_VARIABLES.get(info.field_name, frozenset())
        try:
            used = {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
        except ValueError as exc:
            raise ValueError(f"not a valid template ({exc})") from exc
        if used - allowed:
            raise ValueError(
                f"uses unknown variable(s) {', '.join(sorted(used - allowed))}; it may use: {', '.join(sorted(allowed)) or 'none'}"
            )
        if allowed - used:
            raise ValueError(f"missing variable(s) {', '.join(sorted(allowed - used))}")
        return template


def load_messages(path: Path = MESSAGES_FILE) -> Messages:
    """Read and check the messages file; raise ``PromptError`` naming what is wrong."""
    return read_prompt_file(path, Messages, "messages file")
