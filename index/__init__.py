"""The on-disk index: its format, the vector and lexical tables, and the analyser they share.

``ingest`` writes an index through ``write_version``; ``ask`` reads it through ``load``. Nothing
else touches the files. The analyser (``normalise``, ``words``, ``stem``, ``terms``) is here because
the lexical table is built with it and every question must be read the same way. ``write_durably``
and ``fsync_path`` are how its files survive a crash; ``ingest`` writes its publish journal with them.
``clustered_vectors``, ``nearby_queries``, ``exact_top_k`` and ``recall_at_k`` are the data and measure
the vector index's recall is checked with. ``filled_from`` makes one dataclass from another's
same-named fields (a page's record, a quote of it). ``nearest_weighted`` finds the rows nearest a
question, weighted by closeness (triage's exemplars and the answering precedents read it).
"""

from index.analyser import ANALYZER, normalise, normalised_line, stem, strip_control, terms, words
from index.files import fsync_path, write_durably
from index.lexical import IN_HEADING, IN_SENTENCE, LexicalIndex, Matches
from index.lexical import build as build_lexical
from index.lexical import load as load_lexical
from index.lexical import save as save_lexical
from index.lexical import settings as lexical_settings
from index.nearest import nearest_weighted
from index.notes import AgreementRule, Echo, Notes, has_notes, notes_files, read_captured, read_notes
from index.recall import clustered_vectors, exact_top_k, nearby_queries, recall_at_k
from index.rows import BLOCK_KINDS, Block, Passage, Sentence
from index.store import (
    Index,
    Manifest,
    PageRecord,
    VersionContent,
    build_lock,
    current_version,
    filled_from,
    import_version,
    list_versions,
    load,
    read_manifest,
    remove_abandoned,
    switch_to,
    verify_version,
    write_version,
)
from index.vectors import VectorIndexSpec, choose_spec
from index.vectors import build as build_vectors
from index.vectors import load as load_vectors
from index.vectors import save as save_vectors

__all__ = [
    "ANALYZER",
    "BLOCK_KINDS",
    "IN_HEADING",
    "IN_SENTENCE",
    "AgreementRule",
    "Block",
    "Echo",
    "Index",
    "LexicalIndex",
    "Manifest",
    "Matches",
    "Notes",
    "PageRecord",
    "Passage",
    "Sentence",
    "VectorIndexSpec",
    "VersionContent",
    "build_lexical",
    "build_lock",
    "build_vectors",
    "choose_spec",
    "clustered_vectors",
    "current_version",
    "exact_top_k",
    "filled_from",
    "fsync_path",
    "has_notes",
    "import_version",
    "lexical_settings",
    "list_versions",
    "load",
    "load_lexical",
    "load_vectors",
    "nearby_queries",
    "nearest_weighted",
    "normalise",
    "normalised_line",
    "notes_files",
    "read_captured",
    "read_manifest",
    "read_notes",
    "recall_at_k",
    "remove_abandoned",
    "save_lexical",
    "save_vectors",
    "stem",
    "strip_control",
    "switch_to",
    "terms",
    "verify_version",
    "words",
    "write_durably",
    "write_version",
]
