"""Ingest: read the corpus, split and embed its pages, and write the index.

python -m ingest            build the index, or update it incrementally
python -m ingest --full     rebuild every page
python -m ingest refresh    fetch pages from their addresses into a staged candidate
python -m ingest staged     show what the candidate changes; publish or discard it
"""

from ingest.build import BuildReport, build
from ingest.corpus import Corpus, SourceEntry, SourcePage, read_corpus
from ingest.fetch import Fetched, Fetcher
from ingest.refresh import RefreshReport, refresh
from ingest.stage import PageRefresh, PublishReport, StagedRefresh, discard, publish, staged

__all__ = [
    "BuildReport",
    "Corpus",
    "Fetched",
    "Fetcher",
    "PageRefresh",
    "PublishReport",
    "RefreshReport",
    "SourceEntry",
    "SourcePage",
    "StagedRefresh",
    "build",
    "discard",
    "publish",
    "read_corpus",
    "refresh",
    "staged",
]
