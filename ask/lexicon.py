"""The word tables in ``ask/lexicon.toml``: phrase expansions, stop words, everyday words, page furniture."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from index import normalise
from prompts import Patterns, PromptFile, compiled, read_prompt_file

_WORD = re.compile(r"[a-z0-9]+\+?")
LEXICON_FILE = Path(__file__).with_name("lexicon.toml")


@dataclass(frozen=True)
class Lexicon:
    """Phrase expansions and word lists used to match questions to the pages."""

    expansions: tuple[tuple[re.Pattern, str], ...]  # phrases of several words
    word_expansions: dict[str, str]  # single words, looked up directly
    stop: frozenset[str]
    everyday: frozenset[str]
    topic: frozenset[str]
    furniture: tuple[re.Pattern, ...]
    cancer_sites: frozenset[str]
    spread_context: frozenset[str]
    quantity: tuple[re.Pattern, ...]
    followup_openers: tuple[str, ...]
    followup_kinds: tuple[frozenset[str], ...]

    def expand(self, normalised: str) -> str:
        """Words the lexicon adds for the phrases found in a normalised question."""
        added = [self.word_expansions[w] for w in _WORD.findall(normalised) if w in self.word_expansions]
        added += [extra for pattern, extra in self.expansions if pattern.search(normalised)]
        return " ".join(added)

    def phrase_concepts(self, normalised: str) -> list[str]:
        """For each phrase of several words found in the question, the words it stands for."""
        return [extra for pattern, extra in self.expansions if pattern.search(normalised)]

    def asks_for_number(self, normalised: str) -> bool:
        return any(pattern.search(normalised) for pattern in self.quantity)

    def is_furniture(self, sentence: str) -> bool:
        text = normalise(sentence).strip()
        return any(pattern.search(text) for pattern in self.furniture)


class _WordLists(PromptFile):
    stop: str
    everyday: str
    topic: str


class _Patterns(PromptFile):
    patterns: Patterns


class _Cancers(PromptFile):
    sites: str
    spread_context: str


class _FollowUp(PromptFile):
    openers: list[str]
    kinds: list[str]


class _LexiconFile(PromptFile):
    expand: dict[str, str]
    words: _WordLists
    cancers: _Cancers
    quantity: _Patterns
    furniture: _Patterns
    followup: _FollowUp


@cache
def load_lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    """Read and check the lexicon; raise ``PromptError`` naming what is wrong."""
    data = read_prompt_file(path, _LexiconFile, "lexicon")
    phrases = {normalise(phrase): extra for phrase, extra in data.expand.items()}
    return Lexicon(
        expansions=tuple(
            (re.compile(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])"), extra)
            for phrase, extra in phrases.items()
            if not _WORD.fullmatch(phrase)
        ),
        word_expansions={phrase: extra for phrase, extra in phrases.items() if _WORD.fullmatch(phrase)},
        stop=frozenset(data.words.stop.split()),
        everyday=frozenset(data.words.everyday.split()),
        topic=frozenset(data.words.topic.split()),
        furniture=compiled(data.furniture.patterns),
        cancer_sites=frozenset(data.cancers.sites.split()),
        spread_context=frozenset(data.cancers.spread_context.split()),
        quantity=compiled(data.quantity.patterns),
        followup_openers=tuple(data.followup.openers),
        followup_kinds=tuple(frozenset(kind.split()) for kind in data.followup.kinds),
    )
