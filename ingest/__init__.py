"""Ingest: read the corpus, split and embed its pages, and write the index.

python -m ingest            build the index, or update it incrementally
python -m ingest --full     rebuild every page
python -m ingest refresh    fetch pages from their addresses, re-index the changed ones
"""

from ingest.build import BuildReport, build
from ingest.corpus import Corpus, SourcePage, read_corpus
from ingest.refresh import PageRefresh, RefreshReport, refresh

__all__ = [
    "BuildReport",
    "Corpus",
    "PageRefresh",
    "RefreshReport",
    "SourcePage",
    "build",
    "read_corpus",
    "refresh",
]
