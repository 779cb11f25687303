"""Agreement across pages, found at build time: sentences on different pages that say the same thing.

Two sentences agree when both hold:

- their embeddings' cosine is at least ``THRESHOLD`` (0.90), and
- they share at least ``MIN_SHARED_WORDS`` (2) content words or figures (stemmed; stop words and
  the words every page repeats, "metastatic", "breast", "cancer", "stage", left out).

The threshold was set by reading every cross-page pair of the five pages that shares two such words
and has a cosine above 0.82 under the served (fine-tuned) encoder, 98 pairs. The fine-tune pulls
sentences on one subject together, so cosines run higher than under the base model (where 0.86 was
the cut). Above 0.90 nearly every pair restates the same fact ("Nearly 30% of women diagnosed with
early-stage breast cancer will develop metastatic disease" / "About 30 percent of early-stage breast
cancers return as metastatic disease", 0.93; "It typically spreads to the brain, bones, lungs, and
liver" / "The most common areas of the body that cells may spread to are the brain, bones, liver,
and lungs", 0.92). Between 0.86 and 0.90 pairs are about the same subject but different facts
("Targeted therapy: Certain cancers express specific targets..." / "Targeted therapy: This can
affect the way that changes in specific genes, such as BRCA1 or BRCA2...", 0.90; a physical exam
followed by imaging / "Advanced imaging: We use imaging studies such as CT scans...", 0.90). The
topic words make every sentence of these pages look alike, so a pair must also share two words of
its own: that drops pairs such as "Learn more." / "Learn more here.". Re-read the pairs when the
encoder is refitted (``python -m learn fit``).

A pair whose sentences both give figures, and not the same ones, is marked ``figures_differ`` so
the page shows both with their sources instead of implying they agree.

Each sentence is compared with its ``NEIGHBOURS`` nearest sentences (exact inner-product search
in FAISS, in batches), so the cost grows with the number of sentences times that search.
"""

from __future__ import annotations

import re

import faiss
import numpy as np

from index import AgreementRule, VersionContent, stem, words

THRESHOLD = 0.90
MIN_SHARED_WORDS = 2
NEIGHBOURS = 16
RULE = AgreementRule(THRESHOLD, MIN_SHARED_WORDS)
_BATCH = 4096

_STOP_WORDS = frozenset(
    """a about above after again against all also although am an and any are as at be because been before
    being below between both but by can could did do does doing down during each even few for from further
    had has have having he her here hers him his how however i if in into is it its itself just may me
    might more most much must my no nor not now of off often on once one only or other our ours out over
    own per same she should so some such than that the their them then there these they this those through
    to too under until up usually very was we were what when where which while who whom why will with
    would you your yours called known learn read here many people person women woman men
    metastatic metastasis metastases breast cancer cancers stage iv 4 disease""".split()  # noqa: SIM905 (a word list reads best as words)
)
_STOP_STEMS = frozenset(stem(word) for word in _STOP_WORDS)
_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "half": "50%",
    "quarter": "25%",
}
_FIGURE = re.compile(r"\d+(?:[.,]\d+)?")
_CITATION = re.compile(r"\[\d+\]")  # a reference mark such as [2], not a figure


def content_words(text: str) -> frozenset[str]:
    """The stemmed words of ``text`` that say what it is about."""
    return frozenset(s for s in (stem(w) for w in words(text)) if s not in _STOP_STEMS and not s.isdigit())


def figures(text: str) -> frozenset[str]:
    """The numbers a sentence gives (digits and number words); "stage 4" and "[2]" are not figures."""
    cleaned = _CITATION.sub(" ", text)
    cleaned = re.sub(r"(?i)\bstage\s+(?:[0-4]|i{1,3}|iv)\b", " ", cleaned)
    found = set(_FIGURE.findall(cleaned))
    found.update(_NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", cleaned.lower()) if w in _NUMBER_WORDS)
    return frozenset(found)


def agreeing_pairs(content: VersionContent) -> list[tuple[int, int, float, bool]]:
    """Pairs ``(a, b, cosine, figures_differ)`` of sentences on different pages that agree (``a < b``)."""
    sentences = content.sentences
    if len(sentences) < 2:
        return []
    vectors = np.ascontiguousarray(content.sentence_vectors, dtype=np.float32)
    texts = [content.texts[s.doc_id][s.start : s.end] for s in sentences]
    docs = [s.doc_id for s in sentences]
    search = faiss.IndexFlatIP(vectors.shape[1])
    search.add(vectors)
    k = min(NEIGHBOURS + 1, len(sentences))
    words_of: dict[int, frozenset[str]] = {}
    pairs: dict[tuple[int, int], tuple[float, bool]] = {}
    for first in range(0, len(sentences), _BATCH):
        scores, ids = search.search(vectors[first : first + _BATCH], k)
        for row, (row_scores, row_ids) in enumerate(zip(scores, ids, strict=True)):
            a = first + row
            for score, b in zip(row_scores.tolist(), row_ids.tolist(), strict=True):
                if b < 0 or score < THRESHOLD or docs[a] == docs[b]:
                    continue
                key = (min(a, b), max(a, b))
                if key in pairs:
                    continue
                fa, fb = figures(texts[a]), figures(texts[b])
                shared = words_of.setdefault(a, content_words(texts[a])) & words_of.setdefault(
                    b, content_words(texts[b])
                )
                if len(shared) + len(fa & fb) < MIN_SHARED_WORDS:
                    continue
                pairs[key] = (score, bool(fa and fb and fa != fb))
    return [(a, b, score, differ) for (a, b), (score, differ) in sorted(pairs.items())]
