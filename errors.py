"""The project's errors, in one small tree.

Every error the project raises on purpose is a ``ChatbotError``. The library
raises; the edges (the CLIs, the Streamlit pages) catch ``ChatbotError`` and show
its message, one calm sentence that names the problem, never a traceback.

    ChatbotError
    ├── CorpusError                a page or the corpus manifest cannot be ingested
    ├── IndexUnavailableError      the on-disk index cannot be used
    │   ├── IndexMissingError      no index has been built yet
    │   └── IndexCorruptError      files are missing, unreadable or inconsistent
    │       └── IndexIntegrityError  a file no longer matches the checksum its manifest recorded
    ├── ModelError                 the embedding model cannot be loaded or run
    ├── BuildInProgressError       another build holds the index lock
    ├── RefreshError               a page could not be fetched or extracted, or a staged refresh cannot be published
    ├── StorageError               the disk refused a write (full, read-only); nothing half-written is served
    ├── QuestionError              a question cannot be answered as given (empty, too long...)
    ├── SettingsError              a setting has a value the project cannot use
    ├── AuditError                 the audit database cannot be opened, read or written
    └── PromptError                a file in prompts/ is unreadable, or has unknown or missing entries

Errors from other libraries are turned into these at a single boundary each, with the
original kept as ``__cause__`` (``map_exceptions``, as httpx maps httpcore's errors):

    FAISS (RuntimeError)        index.vectors: load → IndexCorruptError, save → StorageError
    the model (torch, tokenizers, sentence-transformers)
                                embedding.embedder: loading and encoding → ModelError
    file I/O (OSError)          index.store (reading a version) → IndexCorruptError;
                                ingest.build (writing one) → StorageError; ingest.corpus → CorpusError
    HTTP (httpx.HTTPError)      ingest.fetch → RefreshError
    databases (SQLAlchemy)      audit.database → AuditError
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

__all__ = [
    "REBUILD_HINT",
    "AuditError",
    "BuildInProgressError",
    "ChatbotError",
    "CorpusError",
    "IndexCorruptError",
    "IndexIntegrityError",
    "IndexMissingError",
    "IndexUnavailableError",
    "ModelError",
    "PromptError",
    "QuestionError",
    "RefreshError",
    "SettingsError",
    "StorageError",
    "map_exceptions",
]

REBUILD_HINT = "Build it with: python -m ingest"


class ChatbotError(Exception):
    """Base of every error the project raises on purpose."""


class CorpusError(ChatbotError):
    """A page or the corpus manifest cannot be ingested; the message names the file."""


class IndexUnavailableError(ChatbotError):
    """The on-disk index cannot be used."""


class IndexMissingError(IndexUnavailableError):
    """No index has been built yet at the configured path."""


class IndexCorruptError(IndexUnavailableError):
    """The index's files are missing, unreadable or inconsistent."""


class IndexIntegrityError(IndexCorruptError):
    """A file of an index version no longer matches the checksum its manifest recorded."""


class ModelError(ChatbotError):
    """The embedding model cannot be loaded or run."""


class BuildInProgressError(ChatbotError):
    """Another build holds the index lock."""


class RefreshError(ChatbotError):
    """A page could not be fetched from its address or its text extracted."""


class StorageError(ChatbotError):
    """The disk refused a write (full, read-only); the message names the folder."""


class QuestionError(ChatbotError):
    """A question cannot be answered as given."""


class SettingsError(ChatbotError):
    """A setting has a value the project cannot use; the message lists the valid ones."""


class AuditError(ChatbotError):
    """The audit database cannot be opened, read or written; the message names the file."""


class PromptError(ChatbotError):
    """A file in ``prompts/`` cannot be read or does not match what the code expects."""


@contextmanager
def map_exceptions(mapping: Mapping[type[BaseException], type[ChatbotError]], message: str) -> Iterator[None]:
    """Turn another library's error raised inside the block into ours, keeping it as the cause.

    Args:
        mapping: their error class → ours; the first entry the error is an instance of wins.
        message: the sentence ours starts with; the library's own text follows it after a colon.

    Our own errors pass through unchanged, and so does any error ``mapping`` does not name.

    >>> with map_exceptions({RuntimeError: IndexCorruptError}, "The vector index cannot be read"):
    ...     faiss.read_index(path)
    """
    try:
        yield
    except ChatbotError:
        raise
    except tuple(mapping) as exc:
        ours = next(target for theirs, target in mapping.items() if isinstance(exc, theirs))
        raise ours(f"{message}: {exc}") from exc
