"""The on-disk index: its format, the embedding model that fills it, and settings.

``ingest`` writes an index through ``write_version``; ``ask`` reads it through
``load``. Nothing else touches the files.
"""

from embedding.embedder import DIMENSION, MODEL_NAME, Embedder, load_embedder
from errors import (
    AuditError,
    BuildInProgressError,
    ChatbotError,
    CorpusError,
    IndexCorruptError,
    IndexIntegrityError,
    IndexMissingError,
    IndexUnavailableError,
    ModelError,
    QuestionError,
    RefreshError,
    SettingsError,
    StorageError,
)
from index.lexical import LexicalIndex
from index.lexical import settings as lexical_settings
from index.rows import Block, Passage, Sentence
from index.settings import REPO_ROOT, Settings, settings_from_env
from index.store import (
    Index,
    Manifest,
    PageRecord,
    VersionContent,
    build_lock,
    current_version,
    import_version,
    list_versions,
    load,
    read_manifest,
    remove_abandoned,
    switch_to,
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
    "IndexIntegrityError",
    "IndexMissingError",
    "IndexUnavailableError",
    "LexicalIndex",
    "Manifest",
    "ModelError",
    "PageRecord",
    "Passage",
    "QuestionError",
    "RefreshError",
    "Sentence",
    "Settings",
    "SettingsError",
    "StorageError",
    "VersionContent",
    "build_lock",
    "current_version",
    "import_version",
    "lexical_settings",
    "list_versions",
    "load",
    "load_embedder",
    "read_manifest",
    "remove_abandoned",
    "settings_from_env",
    "switch_to",
    "write_version",
]
