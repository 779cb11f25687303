"""Passages, sentences and blocks: stored as int32 columns, read as small rows on demand.

A million passages make about three million sentences; as Python objects they would
take gigabytes and minutes to load. So each table is one ``(columns, rows)`` int32
array, memory-mapped, with one column a row of the array so that each column is
contiguous; a ``Passage``, ``Sentence`` or ``Block`` is made only when code asks for
row ``i``. Documents are numbered in the manifest's page order.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

BLOCK_KINDS = ("paragraph", "list", "heading")
NO_BLOCK = -1  # in a block's heading or intro column: there is none


@dataclass(frozen=True)
class Passage:
    """A retrieval unit: ``page_text[start:end] == text``."""

    id: int
    doc_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Sentence:
    """A quotable unit (a sentence or a list item) inside ``block``."""

    id: int
    doc_id: str
    start: int
    end: int
    block: int


@dataclass(frozen=True)
class Block:
    """A paragraph, a list or a heading: the context a quote is shown in."""

    id: int
    doc_id: str
    start: int
    end: int
    kind: str  # "paragraph" | "list" | "heading"


Row = TypeVar("Row")


def _column(number: int) -> property:
    """A table's column ``number``, read as an attribute (``rows.start`` is ``rows.columns[1]``)."""
    return property(lambda self: self.columns[number], doc=f"Column {number}, one value a row.")


class Rows(Sequence[Row]):
    """A read-only table over ``columns`` (int32, one column a row; column 0 is the document number)."""

    width = 3  # how many columns

    def __init__(self, columns: np.ndarray, doc_ids: tuple[str, ...]) -> None:
        self.columns = columns
        self.doc_ids = doc_ids

    def __len__(self) -> int:
        return self.columns.shape[1]

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(f"row {i} of {len(self)}")
        return self._row(i, self.columns[:, i].tolist())

    def __iter__(self) -> Iterator[Row]:
        for start in range(0, len(self), 65_536):
            rows = self.columns[:, start : start + 65_536].T.tolist()
            for offset, values in enumerate(rows):
                yield self._row(start + offset, values)

    doc = _column(0)
    start = _column(1)
    end = _column(2)

    def of_doc(self, doc_id: str) -> range:
        """The ids of one page's rows (rows are stored page by page)."""
        return equal_range(self.doc, self.doc_ids.index(doc_id))

    def _row(self, i: int, values: list[int]) -> Row:
        raise NotImplementedError


class Passages(Rows[Passage]):
    """Columns: document, start, end, first sentence, sentence stop. The text is sliced from the page.

    ``first_sentence`` and ``sentence_stop`` bound the ids of the sentences that overlap the passage.
    """

    width = 5

    def __init__(self, columns: np.ndarray, doc_ids: tuple[str, ...], texts: dict[str, str]) -> None:
        super().__init__(columns, doc_ids)
        self.texts = texts

    first_sentence = _column(3)
    sentence_stop = _column(4)

    def _row(self, i: int, values: list[int]) -> Passage:
        doc, start, end = values[:3]
        doc_id = self.doc_ids[doc]
        return Passage(i, doc_id, start, end, self.texts[doc_id][start:end])


class Sentences(Rows[Sentence]):
    """Columns: document, start, end, block."""

    width = 4

    block = _column(3)

    def _row(self, i: int, values: list[int]) -> Sentence:
        doc, start, end, block = values
        return Sentence(i, self.doc_ids[doc], start, end, block)


class Blocks(Rows[Block]):
    """Columns: document, start, end, kind (into ``BLOCK_KINDS``), heading, intro.

    ``heading`` is the block of the section heading a block sits under and ``intro``, for a
    list, the paragraph just before it that introduces it; ``NO_BLOCK`` when there is none.
    """

    width = 6

    kind = _column(3)
    heading = _column(4)
    intro = _column(5)

    def _row(self, i: int, values: list[int]) -> Block:
        doc, start, end, kind = values[:4]
        return Block(i, self.doc_ids[doc], start, end, BLOCK_KINDS[kind])


class FileRows:
    """The rows of a 2-D ``.npy`` file, read from the file when asked for.

    Reading scattered rows through a memory map would count far more than them as resident:
    on a page fault the kernel also maps the pages around it, so a few thousand rows a
    question soon map a multi-gigabyte file whole. A read copies just the rows. The file
    stays open, so a version pruned from disk while it is served can still be read.
    """

    def __init__(self, path: Path) -> None:
        mapped = np.load(path, mmap_mode="r")
        self.offset, self.shape, self.dtype = mapped.offset, mapped.shape, mapped.dtype
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)

    def take(self, ids: np.ndarray) -> np.ndarray:
        """Rows ``ids`` (ascending), one read for each run of consecutive ids."""
        width = int(np.prod(self.shape[1:])) * self.dtype.itemsize
        out = np.empty((len(ids), *self.shape[1:]), dtype=self.dtype)
        breaks = np.flatnonzero(np.diff(ids) != 1) + 1
        for first, stop in zip([0, *breaks.tolist()], [*breaks.tolist(), len(ids)], strict=True):
            if first == stop:
                continue
            data = os.pread(self._fd, width * (stop - first), self.offset + width * int(ids[first]))
            out[first:stop] = np.frombuffer(data, dtype=self.dtype).reshape(stop - first, *self.shape[1:])
        return out


def equal_range(column: np.ndarray, value: int) -> range:
    """The ids of the rows whose sorted int32 ``column`` equals ``value``."""
    key = np.int32(value)  # a key of another type copies the column
    return range(int(column.searchsorted(key)), int(column.searchsorted(key, side="right")))


def read_mapped(path: Path) -> np.ndarray:
    """A ``.npy`` file memory-mapped read-only, as a plain array: slicing a ``np.memmap`` costs microseconds."""
    return np.asarray(np.load(path, mmap_mode="r"))


def passage_columns(passages: Sequence[Passage], doc_number: dict[str, int], sentences: np.ndarray) -> np.ndarray:
    """The passages' columns, with the range of sentences each overlaps (``sentences``: their columns).

    Raises ``ValueError`` unless the sentences are in page order, pages in ``doc_number`` order.
    """
    own = _columns([(doc_number[p.doc_id], p.start, p.end) for p in passages], 3).astype(np.int64)
    sentence_doc = sentences[0].astype(np.int64) << 32
    sentence_starts, sentence_ends = sentence_doc | sentences[1], sentence_doc | sentences[2]
    if np.any(np.diff(sentence_starts) <= 0) or np.any(np.diff(sentence_ends) <= 0):
        raise ValueError("sentences must be disjoint and in page order, and pages in the manifest's order")
    first = np.searchsorted(sentence_ends, own[0] << 32 | own[1], side="right")
    stop = np.searchsorted(sentence_starts, own[0] << 32 | own[2], side="left")
    return np.ascontiguousarray(np.vstack([own, first, stop]).astype(np.int32))


def sentence_columns(sentences: Sequence[Sentence], doc_number: dict[str, int]) -> np.ndarray:
    return _columns([(doc_number[s.doc_id], s.start, s.end, s.block) for s in sentences], Sentences.width)


def block_columns(blocks: Sequence[Block], doc_number: dict[str, int]) -> np.ndarray:
    """The blocks' columns, with each block's heading and list intro found from the blocks before it."""
    rows = []
    heading, previous = NO_BLOCK, None
    for block in blocks:
        if previous is None or block.doc_id != previous.doc_id:
            heading, previous = NO_BLOCK, None
        if block.kind == "heading":
            heading = block.id
        introduced = block.kind == "list" and previous is not None and previous.kind == "paragraph"
        intro = previous.id if introduced else NO_BLOCK
        rows.append((doc_number[block.doc_id], block.start, block.end, BLOCK_KINDS.index(block.kind), heading, intro))
        previous = block
    return _columns(rows, Blocks.width)


def _columns(rows: list[tuple[int, ...]], width: int) -> np.ndarray:
    return np.ascontiguousarray(np.array(rows, dtype=np.int32).reshape(len(rows), width).T)
