"""Cut a page's canonical text into blocks and quotable units, with exact offsets.

Blocks are what a quote is shown in: a paragraph (one line of prose), a list (a
run of bullet lines) or a heading (a short line with no closing punctuation).
Quotable units are sentences of paragraphs and items of lists; headings have
none. Every span satisfies ``text[start:end]`` == the unit, with no leading or
trailing white space, so a quote built from units is always verbatim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "•", "-", "*", "–", "·", "▪", "◦" or "1." / "1)" at the start of a line, then a space.
_BULLET = re.compile(r"[ \t\u00a0]*(?:[•\-*–·▪◦]|\d{1,2}[.)])[ \t\u00a0]+")
# A sentence ends at . ! or ? (plus closing quotes or brackets) followed by space and a capital,
# a digit or an opening quote.
_SENTENCE_END = re.compile(r"[.!?][\"”’')\]]*(?=[ \t\u00a0]+[\"“‘(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    [
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "st",
        "no",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "approx",
        "fig",
        "u.s",
        "u.k",
        "jr",
        "sr",
        "inc",
        "ltd",
        "dept",
    ]
)
_HEADING_MAX_CHARS = 90
_HEADING_MAX_WORDS = 12
_WHITESPACE = " \t\u00a0\r"


@dataclass(frozen=True)
class BlockSpan:
    start: int
    end: int
    kind: str  # "paragraph" | "list" | "heading"


@dataclass(frozen=True)
class UnitSpan:
    start: int
    end: int
    block: int  # index into the page's blocks


def segment(text: str) -> tuple[list[BlockSpan], list[UnitSpan]]:
    """Split ``text`` into blocks and quotable units, both in page order."""
    blocks: list[BlockSpan] = []
    units: list[UnitSpan] = []
    list_items: list[tuple[int, int]] = []

    def close_list() -> None:
        if list_items:
            blocks.append(BlockSpan(list_items[0][0], list_items[-1][1], "list"))
            units.extend(UnitSpan(s, e, len(blocks) - 1) for s, e in list_items)
            list_items.clear()

    for line_start, line_end in _lines(text):
        start, end = _strip(text, line_start, line_end)
        if start == end:
            close_list()
            continue
        bullet = _BULLET.match(text, line_start, end)
        if bullet and bullet.end() < end:
            list_items.append((bullet.end(), end))
            continue
        close_list()
        if _is_heading(text[start:end]):
            blocks.append(BlockSpan(start, end, "heading"))
            continue
        blocks.append(BlockSpan(start, end, "paragraph"))
        units.extend(UnitSpan(s, e, len(blocks) - 1) for s, e in _sentences(text, start, end))
    close_list()
    return blocks, units


def _lines(text: str):
    position = 0
    for line in text.splitlines(keepends=True):
        yield position, position + len(line.rstrip("\r\n"))
        position += len(line)


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _WHITESPACE:
        start += 1
    while end > start and text[end - 1] in _WHITESPACE:
        end -= 1
    return start, end


def _is_heading(line: str) -> bool:
    short = len(line) <= _HEADING_MAX_CHARS and len(line.split()) <= _HEADING_MAX_WORDS
    if line.endswith("?"):  # question headings: "Is metastatic breast cancer curable?"
        return short
    return short and line[-1] not in '.!:;,"”’)' and not line[0].islower()


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if _ends_with_abbreviation(text, cursor, match.start()):
            continue
        spans.append((cursor, match.end()))
        cursor, _ = _strip(text, match.end(), end)
    if cursor < end:
        spans.append((cursor, end))
    return spans


def _ends_with_abbreviation(text: str, start: int, period: int) -> bool:
    if text[period] != ".":
        return False
    word = text[start:period].rsplit(None, 1)[-1].lower() if text[start:period].strip() else ""
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())
