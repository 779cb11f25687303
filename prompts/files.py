"""Reading a TOML file of words the bot uses into a pydantic model that names what is wrong.

Each file (``messages.toml``, ``urgent.toml``, ``helplines.toml``, ``ask/lexicon.toml``) has a
model built on ``PromptFile``: an unknown entry, a missing one or a wrong value stops loading with
a ``PromptError`` that names the file and the entry, as llm's templates do.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, ValidationError

from errors import PromptError

NonEmptyText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
File = TypeVar("File", bound="PromptFile")


class PromptFile(BaseModel):
    """A file's content: every entry declared, none left out, none added."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def read_prompt_file(path: Path, model: type[File], what: str) -> File:
    """Read ``path`` as TOML into ``model``; raise ``PromptError`` naming each entry that is wrong.

    Args:
        path: the TOML file.
        model: the ``PromptFile`` it must match.
        what: what the file is, for the message when it cannot be read at all ("messages file").
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PromptError(f"The {what} {path} cannot be read: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PromptError(f"{path}: {'; '.join(_problem(error) for error in exc.errors())}") from exc


def compiled(patterns: list[str]) -> tuple[re.Pattern, ...]:
    """The patterns compiled; a ``ValueError`` naming the first bad one (pydantic reports it as the entry's)."""
    try:
        return tuple(re.compile(pattern) for pattern in patterns)
    except re.error as exc:
        raise ValueError(f"bad pattern {exc.pattern!r} ({exc})") from exc


def _compilable(patterns: list[str]) -> list[str]:
    compiled(patterns)
    return patterns


# A list of regular expressions, each checked to compile when the file is read.
Patterns = Annotated[list[str], AfterValidator(_compilable)]


def _problem(error: dict) -> str:
    where = _place(error["loc"])
    if error["type"] == "extra_forbidden":
        return f"unknown entry {where}"
    if error["type"] == "missing":
        return f"missing entry {where}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _place(location: tuple) -> str:
    """``("group", 0, "patterns")`` as ``group[1].patterns``: what a reader finds in the file."""
    text = ""
    for part in location:
        text += f"[{part + 1}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text
