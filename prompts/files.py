"""Reading the files the bot's behaviour comes from into pydantic models that name what is wrong.

Each TOML file of words the bot uses (``messages.toml``, ``urgent.toml``, ``helplines.toml``,
``ask/lexicon.toml``) has a model built on ``PromptFile``, and each JSON file of what
``python -m learn fit`` fitted (``models/*.json``) one built on ``FittedFile``: an unknown entry, a
missing one or a wrong value stops loading with a ``PromptError`` that names the file and the
entry, as llm's templates do. Fitted vectors (``models/*.npy``) are float16 ``.npy`` files, read
only when their sha256 is the one their JSON file names.
"""

from __future__ import annotations

import hashlib
import io
import re
import tomllib
from pathlib import Path
from typing import Annotated, TypeVar

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, ValidationError

from errors import PromptError

NonEmptyText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
File = TypeVar("File", bound=BaseModel)
Fitted = TypeVar("Fitted", bound="FittedFile")
REFIT = "Refit it with: python -m learn fit"


class PromptFile(BaseModel):
    """A file's content: every entry declared, none left out, none added."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def read_prompt_file(path: Path, model: type[File], what: str) -> File:
    """Read ``path`` as TOML into ``model``; raise ``PromptError`` naming each entry that is wrong.

    Args:
        path: the TOML file.
        model: what it must match: a ``PromptFile``, or a ``RootModel`` for a file of named tables.
        what: what the file is, for the message when it cannot be read at all ("messages file").
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PromptError(f"The {what} {path} is not valid TOML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise PromptError(f"The {what} {path} cannot be read: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PromptError(_problems(path, exc)) from exc


class FittedFile(PromptFile):
    """A fitted file's content (JSON): every field declared, none left out, none added."""


def read_fitted_file(path: Path, model: type[Fitted], what: str, *, named_by: tuple[str, str] | None = None) -> Fitted:
    """Read ``path`` as JSON into ``model``; raise ``PromptError`` naming each field that is wrong.

    ``named_by``: (the file that names this one, the sha256 it gives), when it must be that file.
    """
    try:
        raw = _named_bytes(path, named_by)
    except (OSError, ValueError) as exc:
        raise PromptError(f"The {what} {path} cannot be read: {exc}. {REFIT}") from exc
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise PromptError(f"{_problems(path, exc)}. {REFIT}") from exc


def _named_bytes(path: Path, named_by: tuple[str, str] | None) -> bytes:
    """The bytes of ``path``; a ``ValueError`` when ``named_by`` (the file that names this one, the
    sha256 it gives) is not their sha256."""
    raw = Path(path).read_bytes()
    if named_by is not None and hashlib.sha256(raw).hexdigest() != named_by[1]:
        raise ValueError(f"it is not the file the {named_by[0]} names (its sha256 differs)")
    return raw


def write_vectors(path: Path, vectors: np.ndarray, texts_sha256: str) -> dict:
    """Write ``vectors`` as float16 ``.npy`` (plain data, no pickle) beside a fitted file.

    Returns the entry that file keeps of them: the ``.npy``'s name and sha256 (``read_vectors``
    checks it) and ``texts_sha256``, the hash of the texts they embed (a refit check recomputes it).
    """
    np.save(path, np.asarray(vectors).astype(np.float16), allow_pickle=False)
    sha256 = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return {"vectors": Path(path).name, "vectors_sha256": sha256, "texts_sha256": texts_sha256}


def read_vectors(path: Path, sha256: str, what: str) -> np.ndarray:
    """The float32 vectors of ``path``, which must be the file whose sha256 a fitted file names."""
    try:
        # np.load reads the bytes whose sha256 was checked, not the file a second time.
        vectors = np.load(io.BytesIO(_named_bytes(path, (what, sha256))), allow_pickle=False)
        if vectors.ndim != 2:
            raise ValueError(f"it holds an array of shape {vectors.shape}, not one vector a row")
    except (OSError, ValueError) as exc:
        raise PromptError(f"The vectors {path} cannot be used: {exc}. {REFIT}") from exc
    return vectors.astype(np.float32)


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


def _problems(path: Path, exc: ValidationError) -> str:
    """The file, then each entry pydantic found wrong and what is wrong with it ("FILE: entry: problem; ...")."""
    return f"{path}: {'; '.join(_problem(error) for error in exc.errors())}"


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
