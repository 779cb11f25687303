"""The word tables in ``ask/lexicon.toml``: phrase expansions, stop words, everyday words, page furniture."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from errors import PromptError
from index import normalise

_WORD = re.compile(r"[a-z0-9]+\+?")
LEXICON_FILE = Path(__file__).with_name("lexicon.toml")
_SECTIONS = {"expand", "words", "cancers", "quantity", "furniture", "followup"}
_WORD_LISTS = {"stop", "everyday", "topic"}


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


@cache
def load_lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    """Read and check the lexicon; raise ``PromptError`` naming what is wrong."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PromptError(f"The lexicon {path} cannot be read: {exc}") from exc
    if set(data) != _SECTIONS:
        raise PromptError(
            f"{path} must have exactly the sections {', '.join(sorted(_SECTIONS))}; has {', '.join(sorted(data))}"
        )
    if set(data["words"]) != _WORD_LISTS:
        raise PromptError(f"{path} [words] must have exactly: {', '.join(sorted(_WORD_LISTS))}")
    for section, keys in (("furniture", {"patterns"}), ("quantity", {"patterns"})):
        if set(data[section]) != keys:
            raise PromptError(f"{path} [{section}] must have exactly: {', '.join(sorted(keys))}")
    if set(data["followup"]) != {"openers", "kinds"}:
        raise PromptError(f"{path} [followup] must have exactly: kinds, openers")
    if set(data["cancers"]) != {"sites", "spread_context"}:
        raise PromptError(f"{path} [cancers] must have exactly: sites, spread_context")
    try:
        phrases = {normalise(phrase): extra for phrase, extra in data["expand"].items()}
        expansions = tuple(
            (re.compile(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])"), extra)
            for phrase, extra in phrases.items()
            if not _WORD.fullmatch(phrase)
        )
        furniture = tuple(re.compile(pattern) for pattern in data["furniture"]["patterns"])
        quantity = tuple(re.compile(pattern) for pattern in data["quantity"]["patterns"])
    except re.error as exc:
        raise PromptError(f"{path} has a bad pattern: {exc}") from exc
    return Lexicon(
        expansions=expansions,
        word_expansions={phrase: extra for phrase, extra in phrases.items() if _WORD.fullmatch(phrase)},
        stop=frozenset(data["words"]["stop"].split()),
        everyday=frozenset(data["words"]["everyday"].split()),
        topic=frozenset(data["words"]["topic"].split()),
        furniture=furniture,
        cancer_sites=frozenset(data["cancers"]["sites"].split()),
        spread_context=frozenset(data["cancers"]["spread_context"].split()),
        quantity=quantity,
        followup_openers=tuple(data["followup"]["openers"]),
        followup_kinds=tuple(frozenset(kind.split()) for kind in data["followup"]["kinds"]),
    )
