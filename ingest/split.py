"""Split a page into retrieval passages with langchain-text-splitters, keeping offsets.

Passages are a few sentences long: long enough to carry context for retrieval,
short enough that one topic dominates each. The splitter returns strings; each
is located in the page from the previous passage's start onwards, so
``text[start:end] == passage`` holds exactly (checked, never assumed).
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

CHUNK_SIZE = 500
CHUNK_OVERLAP = 100
SEPARATORS = ["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""]


@dataclass(frozen=True)
class PassageSpan:
    start: int
    end: int
    text: str


def splitter_settings() -> dict:
    """What the manifest records; a change of any value forces a full rebuild."""
    return {
        "name": "RecursiveCharacterTextSplitter",
        "chunk_size": CHUNK_SIZE,
        "chunk_overlap": CHUNK_OVERLAP,
        "separators": SEPARATORS,
        "keep_separator": "end",
        "segmenter": "ingest.segment v1",
    }


def split_passages(text: str) -> list[PassageSpan]:
    """Split ``text`` into passages that know their exact offsets in it."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=CHUNK_SIZE,
        chunk_overlap=CHUNK_OVERLAP,
        separators=SEPARATORS,
        keep_separator="end",
        strip_whitespace=True,
    )
    passages = []
    cursor = 0
    for chunk in splitter.split_text(text):
        start = text.find(chunk, cursor)
        if start < 0:
            raise ValueError(f"the splitter returned text that is not in the page: {chunk[:60]!r}")
        passages.append(PassageSpan(start, start + len(chunk), chunk))
        cursor = start + 1
    return passages
