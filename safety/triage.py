"""Triage before search: is the message an emergency, a request to decline, or one to search for?

Triage reads each message three ways, two over the fine-tuned embedding and one over its words
(``models/triage.json``, ``models/triage_exemplars.npy`` and ``models/triage_words.json``, written
by ``python -m learn fit``):

- **three logistic regressions** (``Head``):
  - route: answer, refuse, no context (makes no sense without an earlier turn), decline, urgent;
  - emergency kind: which of the kinds of emergency it is most like (for the reason reviewers
    read, and so that self-harm gets the crisis line first);
  - request kind: which kind of request to decline (its kind picks the message);
- **its nearest exemplars** (``Exemplars``): the messages the heads learned from (the labelled
  messages and the example bank of ``prompts/examples/``), embedded. The share of emergencies, or
  of requests to decline, among a message's nearest ones is a second reading. A regression draws
  one boundary through all the kinds at once; the nearest exemplars keep "I've just lost the sight
  in one eye" beside the stroke examples and "what are the signs of a stroke?" beside the calm ones;
- **its words** (``Words``): a logistic regression over the tf-idf of the message's words and word
  pairs, fitted on the same texts. An embedding reads what a message is about; the words also say
  how it is put ("what are the signs of" against "since this morning"), which is what tells an
  emergency from its calm look-alike. With it, a second author's emergencies were caught 0.98 of
  the time instead of 0.965, and 0.82 of the labelled requests were declined instead of 0.77, for
  about as many calm messages sent to emergency help (docs/learning.md).

The message is read whole, sentence by sentence (a long story can hold its emergency or its
request in one clause) and joined to the earlier question when it follows one. A sentence read
alone says less than the whole message ("my knees ache like mad" is calm before "is joint pain a
side effect?"), so the readings are weighed by a small fitted combination (``Combiner``) rather
than by their maximum. Its weights and the thresholds are fitted on cross-validated
probabilities, thresholds for recall first: an emergency costs far more to miss than a calm
message costs to route to emergency help.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from errors import PromptError
from index import nearest_weighted
from prompts import REFIT, FittedFile, read_fitted_file, read_vectors
from settings import REPO_ROOT

__all__ = [
    "EXEMPLARS_FILE",
    "READERS",
    "ROUTES",
    "TRIAGE_FILE",
    "WORDS_FILE",
    "WORD_PATTERN",
    "Combiner",
    "Exemplars",
    "Head",
    "Readings",
    "Thresholds",
    "Triage",
    "Verdict",
    "Words",
    "decline_message",
    "load_triage",
    "logit",
]

TRIAGE_FILE = REPO_ROOT / "models" / "triage.json"
EXEMPLARS_FILE = TRIAGE_FILE.with_name("triage_exemplars.npy")  # float16 vectors, one row per exemplar
WORDS_FILE = TRIAGE_FILE.with_name("triage_words.json")  # the word head: a line per term, its idf and weights
ROUTES = ("answer", "refuse", "no_context", "decline", "urgent")
READERS = ("head", "near", "words")  # what reads each message; a combiner weighs their readings in this order
SELF_HARM_KINDS = frozenset({"self_harm_direct", "self_harm_indirect"})
SELF_HARM_SHARE = 1 / 3  # the crisis line comes first when self-harm kinds hold this share of the kind probability
# Which message a declined request gets, by its kind; any other kind gets ``refused_request``.
DECLINE_MESSAGES = {
    "diagnosis": "refused_personal",
    "personal_data": "refused_personal",
    "prognosis_for_me": "refused_personal",
    "treatment_decision": "refused_decision",
    "prescription": "refused_decision",
}
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\s*\n+\s*")
MIN_PART_CHARS = 12
# A word is two or more letters or digits, as scikit-learn's ``TfidfVectorizer`` reads them by default
# (``Words`` is fitted with it and reads messages the same way without it).
WORD_PATTERN = re.compile(r"(?u)\b\w\w+\b")


@dataclass(frozen=True)
class Head:
    """A multinomial logistic regression over unit-length embeddings."""

    classes: tuple[str, ...]
    weight: np.ndarray  # (classes, 384)
    bias: np.ndarray  # (classes,)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = np.atleast_2d(vectors).astype(np.float64) @ self.weight.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        return odds / odds.sum(axis=1, keepdims=True)

    def best(self, vector: np.ndarray) -> tuple[str, np.ndarray]:
        p = self.probabilities(vector)[0]
        return self.classes[int(np.argmax(p))], p

    def to_dict(self) -> dict:
        return {
            "classes": list(self.classes),
            "bias": [round(float(b), 6) for b in self.bias],
            "weight": [[round(float(w), 6) for w in row] for row in self.weight],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Head:
        head = cls(
            tuple(str(c) for c in data["classes"]),
            np.array(data["weight"], dtype=np.float64),
            np.array(data["bias"], dtype=np.float64),
        )
        if (
            head.weight.ndim != 2
            or head.weight.shape[0] != len(head.classes)
            or head.bias.shape != (len(head.classes),)
        ):
            raise ValueError(f"{len(head.classes)} classes but weights of shape {head.weight.shape}")
        return head


@dataclass(frozen=True)
class Exemplars:
    """The messages triage learned from, embedded, each with its route: a nearest-neighbour reading.

    For a reading, the share of each route among its ``k`` nearest exemplars, each weighted by
    ``exp(cosine / temperature)``, so that the closest few count most.
    """

    vectors: np.ndarray  # (n, dims), unit length
    routes: np.ndarray  # (n,) index into ROUTES
    k: int = 40
    temperature: float = 0.05

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or len(self.vectors) != len(self.routes):
            raise ValueError(f"{len(self.routes)} exemplar routes but vectors of shape {self.vectors.shape}")
        if self.k < 1 or self.temperature <= 0 or len(self.routes) == 0:
            raise ValueError(f"exemplars need k >= 1, a temperature above 0 and at least one row (k={self.k})")
        if self.routes.min() < 0 or self.routes.max() >= len(ROUTES):
            raise ValueError(f"exemplar routes must index {ROUTES}")

    def shares(self, vectors: np.ndarray) -> np.ndarray:
        """(readings, routes): each route's weighted share among each reading's nearest exemplars."""
        # asarray, not astype: the exemplars are float32 already, and copying them per question is waste.
        similarity = np.atleast_2d(vectors).astype(np.float32) @ np.asarray(self.vectors, dtype=np.float32).T
        nearest, weights = nearest_weighted(similarity, self.k, self.temperature)
        found = np.zeros((len(similarity), len(ROUTES)))
        for route in range(len(ROUTES)):
            found[:, route] = (weights * (self.routes[nearest] == route)).sum(axis=1)
        return np.clip(found / weights.sum(axis=1, keepdims=True), 1e-4, 1 - 1e-4)

    def to_dict(self, vectors: dict) -> dict:
        """The settings and routes, with ``vectors``: the entry ``prompts.write_vectors`` returned."""
        return {"k": self.k, "temperature": self.temperature, **vectors, "routes": "".join(map(str, self.routes))}


@dataclass(frozen=True)
class Words:
    """A logistic regression over a text's words and word pairs, weighted by tf-idf.

    ``terms`` are the words and pairs the fit kept, each with its inverse document frequency; a
    text's vector is ``1 + log(count)`` of each term times its idf, scaled to unit length (what
    scikit-learn's ``TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)`` computes).

    Words such as "and", "my" and "since" are kept. Without them (scikit-learn's English stop
    words), cross-validation on the labelled messages sent 2 % of calm messages to emergency help
    instead of 6 %, but on a second author's wordings caught 0.91 of the emergencies instead of
    0.98: what was learned was the labelled messages' way of writing (docs/learning.md).
    """

    terms: tuple[str, ...]
    idf: np.ndarray  # (terms,)
    head: Head  # over ROUTES, weights (routes, terms)

    def __post_init__(self) -> None:
        if len(self.terms) != len(self.idf) or self.head.weight.shape[1] != len(self.terms):
            raise ValueError(
                f"{len(self.terms)} terms, {len(self.idf)} idf values and weights of shape {self.head.weight.shape}"
            )
        if self.head.classes != ROUTES:
            raise ValueError(f"the word head's classes must be {ROUTES}, not {self.head.classes}")
        object.__setattr__(self, "_column", {term: i for i, term in enumerate(self.terms)})

    def vectors(self, texts: list[str]) -> np.ndarray:
        """(texts, terms): each text's tf-idf vector, unit length (all zeros when no term is known)."""
        found = np.zeros((len(texts), len(self.terms)))
        for row, text in enumerate(texts):
            words = WORD_PATTERN.findall(text.lower())
            for term in words + [f"{a} {b}" for a, b in itertools.pairwise(words)]:
                column = self._column.get(term)
                if column is not None:
                    found[row, column] += 1.0
        counted = found > 0
        found[counted] = (1.0 + np.log(found[counted])) * np.broadcast_to(self.idf, found.shape)[counted]
        norms = np.linalg.norm(found, axis=1, keepdims=True)
        return found / np.where(norms > 0, norms, 1.0)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """(texts, routes): each route's probability for each text."""
        return self.head.probabilities(self.vectors(texts))

    def to_dict(self) -> dict:
        """The classes and biases, then each term with its idf and its weight for each class."""
        weights = self.head.weight.T
        return {
            "classes": list(self.head.classes),
            "bias": [round(float(b), 6) for b in self.head.bias],
            "terms": {
                term: [round(float(idf), 6)] + [round(float(w), 6) for w in weights[i]]
                for i, (term, idf) in enumerate(zip(self.terms, self.idf, strict=True))
            },
        }


@dataclass(frozen=True)
class Readings:
    """One route's probability in each reading of a message (a missing reading repeats the whole's)."""

    whole: float
    sentence: float  # the likeliest sentence
    conversation: float  # after the earlier question

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.whole, self.sentence, self.conversation)


@dataclass(frozen=True)
class Combiner:
    """A logistic regression over the log-odds of nine readings: the route head's, the nearest
    exemplars' and the words' (each whole, likeliest sentence, conversation)."""

    coef: tuple[float, ...]  # nine weights: head whole, sentence, conversation, then the exemplars', the words'
    intercept: float

    def __post_init__(self) -> None:
        if len(self.coef) != 3 * len(READERS):
            raise ValueError(f"a combiner has {3 * len(READERS)} weights, not {len(self.coef)}")

    def __call__(self, *readings: Readings) -> float:
        """The probability from each reader's ``Readings``, in the order of ``READERS``."""
        inputs = [p for reading in readings for p in reading.as_tuple()]
        z = self.intercept + sum(c * logit(p) for c, p in zip(self.coef, inputs, strict=True))
        return float(1.0 / (1.0 + np.exp(-z)))

    def to_dict(self) -> dict:
        return {"coef": [round(float(c), 6) for c in self.coef], "intercept": round(float(self.intercept), 6)}


def logit(p: float) -> float:
    p = min(max(float(p), 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


@dataclass(frozen=True)
class Thresholds:
    urgent: float  # emergency probability at or above which the message is an emergency
    safety: float  # at or above which a refusal also names urgent help
    decline: float
    no_context: float


@dataclass(frozen=True)
class Verdict:
    """What triage found. ``route`` is urgent, self_harm, decline, no_context or search."""

    route: str
    kind: str  # the emergency or request kind ("spinal_cord_compression"), else ""
    emergency: float  # the combined emergency probability of the message's readings
    decline: float  # the combined decline probability of them
    no_context: float  # of the message alone
    answer_odds: float  # log(P(answer) / P(refuse or no context)) of the conversation, for the decision
    safety_line: bool  # a refusal of this message must say where urgent help is
    answer_odds_alone: float = 0.0  # the same of the message alone (a question that stands on its own)
    answer_odds_near: float = 0.0  # log(answered / refused) among the nearest exemplars
    answer_odds_near_alone: float = 0.0  # and of the message alone
    urgent_readings: Readings | None = None  # the route head's emergency probability in each reading
    urgent_near: Readings | None = None  # the share of emergencies among each reading's nearest exemplars
    decline_readings: Readings | None = None  # the route head's decline probability in each reading
    decline_near: Readings | None = None  # the share of requests to decline among the nearest exemplars
    urgent_words: Readings | None = None  # the word head's emergency probability in each reading
    decline_words: Readings | None = None  # and its decline probability
    worst: int = 0  # the reading that weighs most for an emergency (its kind is read there)

    @property
    def sends_to_emergency_help(self) -> bool:
        """Whether the message gets emergency help (the crisis line first for self-harm) instead of an answer."""
        return self.route in ("urgent", "self_harm")

    @property
    def reason(self) -> str:
        """For the audit trail: "self_harm (self_harm_indirect, p=0.93)", "spinal_cord_compression (p=0.97)"."""
        if self.route == "self_harm":
            return f"self_harm ({self.kind}, p={self.emergency:.2f})"
        if not self.kind:
            return self.route
        return f"{self.kind} (p={self.emergency if self.route == 'urgent' else self.decline:.2f})"


class Triage:
    """The fitted heads, exemplars, word head, combiners and thresholds.

    >>> triage = load_triage()
    >>> readings = triage.readings("I can't feel my legs since this morning")
    >>> triage.verdict(readings, embedder.embed(readings))
    """

    def __init__(
        self,
        route: Head,
        emergencies: Head,
        declines: Head,
        thresholds: Thresholds,
        combiners: dict[str, Combiner] | None = None,
        exemplars: Exemplars | None = None,
        words: Words | None = None,
    ) -> None:
        if route.classes != ROUTES:
            raise ValueError(f"the route head's classes must be {ROUTES}, not {route.classes}")
        self.route = route
        self.emergencies = emergencies
        self.declines = declines
        self.thresholds = thresholds
        # Without fitted combiners (while records are taken), the head's reading of the whole message counts.
        whole_only = (1.0,) + (0.0,) * (3 * len(READERS) - 1)
        self.combiners = combiners or {name: Combiner(whole_only, 0.0) for name in ("urgent", "decline")}
        self.exemplars = exemplars  # without them (or the words), the head's readings stand in for theirs
        self.words = words

    def with_thresholds(self, thresholds: Thresholds) -> Triage:
        """The same fit with other thresholds."""
        return Triage(
            self.route, self.emergencies, self.declines, thresholds, self.combiners, self.exemplars, self.words
        )

    @staticmethod
    def readings(message: str, previous: str = "") -> list[str]:
        """The texts triage reads: the message, then its sentences if several, then it after ``previous``."""
        texts = [message]
        parts = [p for p in _SENTENCE.split(message) if len(p.strip()) >= MIN_PART_CHARS]
        if len(parts) > 1:
            texts += parts
        if previous:
            texts.append(f"{previous} {message}")
        return texts

    @staticmethod
    def readings_of(p: np.ndarray, route: str, *, has_history: bool) -> tuple[Readings, int]:
        """``route``'s probability in each reading (``p``: probabilities of every route in every
        reading), and the row of the reading where it is highest."""
        column = p[:, ROUTES.index(route)]
        last = len(column) - 1 if has_history else len(column)
        best_sentence = max(range(1, last), key=lambda i: column[i], default=0)
        conversation = float(column[-1]) if has_history else float(column[0])
        found = Readings(float(column[0]), float(column[best_sentence]), conversation)
        strongest = int(np.argmax([column[0], column[best_sentence], column[-1] if has_history else 0.0]))
        return found, (0, best_sentence, len(column) - 1)[strongest]

    def verdict(self, texts: list[str], vectors: np.ndarray, *, has_history: bool = False) -> Verdict:
        """The verdict for ``texts``, the ``readings(...)`` of a message, and their embeddings."""
        if len(texts) != len(vectors):
            raise ValueError(f"{len(texts)} readings but {len(vectors)} embeddings")
        p = self.route.probabilities(vectors)
        near = p if self.exemplars is None else self.exemplars.shares(vectors)
        words = p if self.words is None else self.words.probabilities(texts)
        both = (p + near) / 2  # where a route reads strongest, by the embedding's two readings
        urgent, _ = self.readings_of(p, "urgent", has_history=has_history)
        urgent_near, _ = self.readings_of(near, "urgent", has_history=has_history)
        urgent_words, _ = self.readings_of(words, "urgent", has_history=has_history)
        decline, _ = self.readings_of(p, "decline", has_history=has_history)
        decline_near, _ = self.readings_of(near, "decline", has_history=has_history)
        decline_words, _ = self.readings_of(words, "decline", has_history=has_history)
        worst = self.readings_of(both, "urgent", has_history=has_history)[1]
        most_declinable = self.readings_of(both, "decline", has_history=has_history)[1]
        # Whether the message needs an earlier turn is read from it alone; whether the pages answer
        # it, from the whole conversation, as the head learned it (a follow-up with its question).
        alone, read = p[0], p[-1] if has_history else p[0]
        common = {
            "emergency": self.combiners["urgent"](urgent, urgent_near, urgent_words),
            "decline": self.combiners["decline"](decline, decline_near, decline_words),
            "no_context": float(alone[ROUTES.index("no_context")]),
            "answer_odds": _answer_odds(read),
            "answer_odds_alone": _answer_odds(alone),
            "answer_odds_near": _answered_odds(near[-1] if has_history else near[0]),
            "answer_odds_near_alone": _answered_odds(near[0]),
            "urgent_readings": urgent,
            "urgent_near": urgent_near,
            "decline_readings": decline,
            "decline_near": decline_near,
            "urgent_words": urgent_words,
            "decline_words": decline_words,
            "worst": worst,
        }
        t = self.thresholds
        if common["emergency"] >= t.urgent:
            kind, kinds = self.emergencies.best(vectors[worst])
            self_harm = sum(kinds[i] for i, c in enumerate(self.emergencies.classes) if c in SELF_HARM_KINDS)
            route = "self_harm" if self_harm >= SELF_HARM_SHARE else "urgent"
            return Verdict(route, kind, safety_line=True, **common)
        safety = common["emergency"] >= t.safety
        if common["decline"] >= t.decline:
            kind, _ = self.declines.best(vectors[most_declinable])
            return Verdict("decline", kind, safety_line=safety, **common)
        if common["no_context"] >= t.no_context and not has_history:
            return Verdict("no_context", "", safety_line=safety, **common)
        return Verdict("search", "", safety_line=safety, **common)

    def to_dict(self) -> dict:
        """Everything but the exemplars (``Exemplars.to_dict``, beside their vectors file) and the words."""
        t = self.thresholds
        return {
            "thresholds": {"urgent": t.urgent, "safety": t.safety, "decline": t.decline, "no_context": t.no_context},
            "combiners": {name: combiner.to_dict() for name, combiner in self.combiners.items()},
            "route": self.route.to_dict(),
            "emergencies": self.emergencies.to_dict(),
            "declines": self.declines.to_dict(),
        }


def _answer_odds(p: np.ndarray) -> float:
    answer, refuse, no_context = (p[ROUTES.index(c)] for c in ("answer", "refuse", "no_context"))
    return float(np.log(answer + 1e-9) - np.log(refuse + no_context + 1e-9))


def _answered_odds(near: np.ndarray) -> float:
    """log(answered / refused) among the nearest exemplars. Those that need an earlier turn do not
    count: whether a message needs one is decided before (``no_context``), and "where does it
    spread?" lies near "does it hurt?" in its wording, not in whether the pages answer it."""
    answer, refuse = (near[ROUTES.index(c)] for c in ("answer", "refuse"))
    return float(np.log(answer + 1e-9) - np.log(refuse + 1e-9))


def decline_message(kind: str) -> str:
    """The ``Messages`` field a declined request of ``kind`` gets."""
    return DECLINE_MESSAGES.get(kind, "refused_request")


# --- models/triage.json, as ``python -m learn fit`` writes it ----------------------------------


class _HeadFile(FittedFile):
    classes: list[str]
    weight: list[list[float]]
    bias: list[float]


class _CombinerFile(FittedFile):
    coef: list[float]
    intercept: float


class _ThresholdsFile(FittedFile):
    urgent: float
    safety: float
    decline: float
    no_context: float


class _WordsFile(FittedFile):
    """The fields of ``models/triage_words.json``."""

    data_sha256: str
    examples_sha256: str
    fitted_on: str
    regression_C: float  # noqa: N815 (the field name fit_all writes)
    min_df: int
    classes: list[str]
    bias: list[float]
    terms: dict[str, list[float]]  # each term: its idf, then its weight for each class


def _words_of(data: _WordsFile) -> Words:
    rows = list(data.terms.values())
    if any(len(row) != len(data.classes) + 1 for row in rows):
        raise ValueError(f"every term needs its idf and {len(data.classes)} weights")
    table = np.array(rows, dtype=np.float64).reshape(len(rows), len(data.classes) + 1)
    head = Head(tuple(data.classes), table[:, 1:].T.copy(), np.array(data.bias, dtype=np.float64))
    if head.bias.shape != (len(head.classes),):
        raise ValueError(f"{len(head.classes)} classes but {len(head.bias)} biases")
    return Words(tuple(data.terms), table[:, 0].copy(), head)


class _CombinersFile(FittedFile):
    urgent: _CombinerFile
    decline: _CombinerFile


class _ExemplarsFile(FittedFile):
    k: int
    temperature: float
    vectors: str  # the .npy file's name, beside triage.json
    vectors_sha256: str
    texts_sha256: str
    routes: str  # one digit per exemplar: its route's place in ROUTES


class _TriageFile(FittedFile):
    """The fields of ``models/triage.json``: where the fit came from, then what it fitted."""

    model_id: str
    data_sha256: str
    examples_sha256: str
    fitted_on: str
    regression_C: float  # noqa: N815 (the field name fit_all writes)
    heads_fitted_on: str
    thresholds: _ThresholdsFile
    combiners: _CombinersFile
    route: _HeadFile
    emergencies: _HeadFile
    declines: _HeadFile
    exemplars: _ExemplarsFile
    words: str  # the word head's file name, beside triage.json
    words_sha256: str


def load_triage(path: Path = TRIAGE_FILE) -> Triage:
    """Read the fitted heads, exemplars and word head; raise ``PromptError`` naming what is wrong."""
    path = Path(path)
    data = read_fitted_file(path, _TriageFile, "triage file")
    spec = data.exemplars
    vectors = read_vectors(path.with_name(spec.vectors), spec.vectors_sha256, "triage file")
    words_path = path.with_name(data.words)
    words_file = read_fitted_file(words_path, _WordsFile, "word head", named_by=("triage file", data.words_sha256))
    try:
        words = _words_of(words_file)
    except ValueError as exc:
        raise PromptError(f"The word head {words_path} cannot be used ({exc}). {REFIT}") from exc
    try:
        if not spec.routes.isdigit():
            raise ValueError("exemplar routes must be one digit each")
        exemplars = Exemplars(
            vectors, np.array([int(r) for r in spec.routes], dtype=np.int8), k=spec.k, temperature=spec.temperature
        )
        combiners = {
            name: Combiner(tuple(found.coef), found.intercept)
            for name, found in (("urgent", data.combiners.urgent), ("decline", data.combiners.decline))
        }
        return Triage(
            Head.from_dict(data.route.model_dump()),
            Head.from_dict(data.emergencies.model_dump()),
            Head.from_dict(data.declines.model_dump()),
            Thresholds(**data.thresholds.model_dump()),
            combiners,
            exemplars,
            words,
        )
    except ValueError as exc:
        raise PromptError(f"The triage file {path} cannot be used ({exc}). {REFIT}") from exc
