"""The on-disk index: its format, the embedding model that fills it, and settings.

``ingest`` writes an index through ``write_version``; ``ask`` reads it through
``load``. Nothing else touches the files.
"""

from index.embedding import DIMENSION, MODEL_NAME, Embedder, load_embedder
from index.errors import (
    AuditError,
    BuildInProgressError,
    ChatbotError,
    CorpusError,
    IndexCorruptError,
    IndexMissingError,
    IndexUnavailableError,
    ModelError,
    QuestionError,
    RefreshError,
    SettingsError,
)
from index.settings import REPO_ROOT, Settings, settings_from_env
from index.store import (
    Block,
    Index,
    Manifest,
    PageRecord,
    Passage,
    Sentence,
    VersionContent,
    build_lock,
    current_version,
    list_versions,
    load,
    read_manifest,
    write_version,
)

__all__ = [
    "DIMENSION",
    "MODEL_NAME",
    "REPO_ROOT",
    "AuditError",
    "Block",
    "BuildInProgressError",
    "ChatbotError",
    "CorpusError",
    "Embedder",
    "Index",
    "IndexCorruptError",
    "IndexMissingError",
    "IndexUnavailableError",
    "Manifest",
    "ModelError",
    "PageRecord",
    "Passage",
    "QuestionError",
    "RefreshError",
    "Sentence",
    "Settings",
    "SettingsError",
    "VersionContent",
    "build_lock",
    "current_version",
    "list_versions",
    "load",
    "load_embedder",
    "read_manifest",
    "settings_from_env",
    "write_version",
]
