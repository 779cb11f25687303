"""Does the question fall within what the pages answer? Checks on the question's words and the evidence.

Each check returns a short reason when the answer must be a refusal, or None. They are
general: another cancer, an early stage the pages give no figures for, a question wanting a
number that no quote holds. Whether the evidence answers at all is ``ask.decision``'s call.
"""

from __future__ import annotations

import itertools
import re

from ask.lexicon import Lexicon
from ask.retrieve import Query, Retriever
from index import normalised_line, terms, words

MIN_STAGE_COVERAGE = 0.5
NUMBER_MARGIN = 0.15  # a quote with a number answers "how many" within this of the best quote's score
MIN_SUBJECT_COVERAGE = 0.5
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
    r"hundred|thousand|half|third|quarter|percent|majority|minority|few|most (?:common|commonly|often|likely))\b",
    re.I,
)
_EARLY_STAGE = re.compile(r"\bstage([0-3])\b")
# "signs of X", "symptoms that X", "what signs would show that X": the quote must be about X.
_SIGNS_OF = re.compile(
    r"\b(?:signs?|symptoms?|red flags?)\s+(?:of|that|showing|(?:\w+ )?(?:show|shows|mean|means) that|to look for in)\s+([^?.!]+)"
)

# "spread to the X", "gone into her X": the quote must name X (a list of the usual places is no answer
# about another place).
_SPREAD_TO = re.compile(
    r"\b(?:spread|spreads|spreading|spreaded|gone|got|gets|moved|moves|travelled|traveled|travels|"
    r"metastasi[sz]ed?|reached|reach|reaches)\s+(?:in)?to\s+(?:the\s+|my\s+|her\s+|his\s+|your\s+|their\s+)?"
    r"([a-z0-9]+(?:\s+[a-z0-9]+)?)"
)

_NOT_A_PLACE = ("ly", "ed", "ing")


def other_cancer(question: str, lexicon: Lexicon) -> str | None:
    """The question is about a cancer that starts elsewhere, with nothing tying it to breast cancer."""
    tokens = words(question)
    if any(t in lexicon.spread_context for t in tokens) or "stage4" in terms(question):
        return None
    for site, following in itertools.pairwise(tokens):
        if following in {"cancer", "cancers", "tumor", "tumors", "tumour", "tumours"} and site in lexicon.cancer_sites:
            return f"the question is about {site} cancer, not breast cancer"
    return None


def early_stage_only(question: str, lexicon: Lexicon) -> set[str]:
    """The early stages (``stage2``...) a question asks about when it is not about spread, else empty."""
    question_terms = terms(question)
    tokens = set(words(question))
    if tokens & (lexicon.spread_context - {"breast"}) or "stage4" in question_terms:
        return set()
    return {t for t in question_terms if _EARLY_STAGE.fullmatch(t)}


def close_enough_for_a_number(score: float, best: float, subject_coverage: float) -> bool:
    """A quote with a number answers a "how many" question when it is near the best quote, or
    when it holds at least half of the question's subject words and is not far below it."""
    if score >= best - NUMBER_MARGIN:
        return True
    return subject_coverage >= MIN_SUBJECT_COVERAGE and score >= best - 2 * NUMBER_MARGIN


def has_number(text: str) -> bool:
    return bool(_NUMBER.search(text))


def asks_for_number(question: str, lexicon: Lexicon) -> bool:
    return lexicon.asks_for_number(normalised_line(question))


def about_stage(retriever: Retriever, query: Query, sentence_ids: tuple[int, ...], stages: set[str]) -> bool:
    """Whether the quote (or its block) names one of ``stages`` and also covers the rest of the question."""
    index = retriever.index
    context: set[str] = set()
    for i in sentence_ids:
        block = int(index.sentences.block[i])
        context |= set(terms(index.block_text(block))) | retriever.context_terms(i)
    if not stages & context:
        return False
    rest = {t: v for t, v in query.key_terms.items() if not t.isdigit()}
    if not rest:
        return True
    total = sum(idf for idf, _ in rest.values())
    covered = sum(idf for idf, alternatives in rest.values() if alternatives & context)
    return covered >= MIN_STAGE_COVERAGE * total


def sign_objects(question: str, lexicon: Lexicon) -> list[frozenset[str]]:
    """For "signs of X" questions, X's words (each as the set of terms that stand for it); else empty."""
    match = _SIGNS_OF.search(normalised_line(question))
    if not match:
        return []
    objects = []
    for word in words(match.group(1)):
        if word in lexicon.stop or word in lexicon.topic or len(word) < 2:
            continue
        objects.append(frozenset({*terms(word), *terms(lexicon.expand(word))} - lexicon.stop))
    return objects


def about_object(context: frozenset[str], objects: list[frozenset[str]]) -> bool:
    """Whether a quote's context holds at least one of the words the signs are asked about."""
    return not objects or any(alternatives & context for alternatives in objects)


def spread_site(question: str, lexicon: Lexicon) -> frozenset[str]:
    """For "spread to X" questions, the terms that stand for the place X (its last word); else empty.

    X is the one or two words after "to", up to a word that names no place (a stop, everyday or
    topic word, an adverb such as "quickly", a verb form such as "treated" or "causing").
    """
    match = _SPREAD_TO.search(normalised_line(question))
    if not match:
        return frozenset()
    place: list[str] = []
    for word in match.group(1).split():
        if word in lexicon.stop or word in lexicon.everyday or word in lexicon.topic or word.endswith(_NOT_A_PLACE):
            break
        place.append(word)
    if not place:
        return frozenset()
    head = place[-1]
    return frozenset({*terms(head), *terms(lexicon.expand(head))} - lexicon.stop)


# Words that say a sentence is about cancer having spread somewhere.
_SPREAD_WORDS = frozenset(
    terms("spread spreads spreading metastasis metastases metastatic metastasized metastasised secondary secondaries")
)

_LABEL = re.compile(r"^\s*([A-Za-z][A-Za-z ]{1,30}):")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def names_spread_site(retriever: Retriever, sentence_ids: tuple[int, ...], site: frozenset[str]) -> bool:
    """Whether the quote says the cancer spreads to ``site``.

    One sentence names the place together with spread, or the place is the label of a list item
    ("Brain: Signs can include ...") under a heading about spread, or the heading names both. A
    sentence naming the place only in passing ("yellowing of the eyes") says nothing about cancer
    spreading there.
    """
    index = retriever.index
    for i in sentence_ids:
        heading = set(terms(index.heading_text(int(index.sentences.block[i]))))
        if site & heading and _SPREAD_WORDS & heading:
            return True
        text = index.sentence_text(i)
        label = _LABEL.match(text)
        if label and site & set(terms(label.group(1))) and _SPREAD_WORDS & heading:
            return True
        for piece in _SENTENCE_END.split(text):
            found = set(terms(piece))
            if site & found and _SPREAD_WORDS & found:
                return True
    return False
