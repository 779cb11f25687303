"""Triage before search: is the message an emergency, a request to decline, or one to search for?

Three logistic regressions over the fine-tuned embedding (``models/triage.json``, written by
``python -m learn fit``) read each message:

- **route**: answer, refuse, no context (makes no sense without an earlier turn), decline, urgent;
- **emergency kind**: which of the kinds of emergency it is most like (for the reason reviewers
  read, and so that self-harm gets the crisis line first);
- **request kind**: which kind of request to decline (its kind picks the message).

The message is read whole, sentence by sentence (a long story can hold its emergency or its
request in one clause) and joined to the earlier question when it follows one. A sentence read
alone says less than the whole message ("my knees ache like mad" is calm before "is joint pain a
side effect?"), so the three readings are weighed by a small fitted combination (``Combiner``)
rather than by their maximum. Its weights and the thresholds are fitted on cross-validated
probabilities, thresholds for recall first: an emergency costs far more to miss than a calm
message costs to route to emergency help.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from errors import PromptError
from settings import REPO_ROOT

TRIAGE_FILE = REPO_ROOT / "models" / "triage.json"
ROUTES = ("answer", "refuse", "no_context", "decline", "urgent")
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
class Combiner:
    """A logistic regression over the log-odds of three readings: whole, likeliest sentence, conversation."""

    coef: tuple[float, float, float]
    intercept: float

    def __call__(self, whole: float, sentence: float, conversation: float) -> float:
        z = self.intercept + sum(c * logit(p) for c, p in zip(self.coef, (whole, sentence, conversation), strict=True))
        return float(1.0 / (1.0 + np.exp(-z)))

    def to_dict(self) -> dict:
        return {"coef": [round(float(c), 6) for c in self.coef], "intercept": round(float(self.intercept), 6)}


def logit(p: float) -> float:
    p = min(max(float(p), 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


@dataclass(frozen=True)
class Readings:
    """One route's probability in each reading of a message (a missing reading repeats the whole's)."""

    whole: float
    sentence: float  # the likeliest sentence
    conversation: float  # after the earlier question

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.whole, self.sentence, self.conversation)


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
    emergency: float  # the highest emergency probability over the message's readings
    decline: float  # the highest decline probability over them
    no_context: float  # of the message alone
    answer_odds: float  # log(P(answer) / P(refuse or no context)) of the conversation, for the decision
    safety_line: bool  # a refusal of this message must say where urgent help is
    answer_odds_alone: float = 0.0  # the same of the message alone (a question that stands on its own)
    urgent_readings: Readings | None = None  # the route head's emergency probability in each reading
    decline_readings: Readings | None = None  # and its decline probability
    worst: int = 0  # the reading that weighs most for an emergency (its kind is read there)

    @property
    def reason(self) -> str:
        """For the audit trail: "self_harm (self_harm_indirect, p=0.93)", "spinal_cord_compression (p=0.97)"."""
        if self.route == "self_harm":
            return f"self_harm ({self.kind}, p={self.emergency:.2f})"
        if not self.kind:
            return self.route
        return f"{self.kind} (p={self.emergency if self.route == 'urgent' else self.decline:.2f})"


class Triage:
    """The fitted heads and thresholds.

    >>> triage = load_triage()
    >>> triage.verdict(embedder.embed(triage.readings("I can't feel my legs since this morning")))
    """

    def __init__(
        self,
        route: Head,
        emergencies: Head,
        declines: Head,
        thresholds: Thresholds,
        combiners: dict[str, Combiner] | None = None,
    ) -> None:
        if route.classes != ROUTES:
            raise ValueError(f"the route head's classes must be {ROUTES}, not {route.classes}")
        self.route = route
        self.emergencies = emergencies
        self.declines = declines
        self.thresholds = thresholds
        # Without fitted combiners (while records are taken), the whole message alone counts.
        self.combiners = combiners or {name: Combiner((1.0, 0.0, 0.0), 0.0) for name in ("urgent", "decline")}

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
        """``route``'s probability in each reading (``p``: the route head's probabilities of every
        reading), and the row of the reading that weighs most."""
        column = p[:, ROUTES.index(route)]
        last = len(column) - 1 if has_history else len(column)
        best_sentence = max(range(1, last), key=lambda i: column[i], default=0)
        conversation = float(column[-1]) if has_history else float(column[0])
        found = Readings(float(column[0]), float(column[best_sentence]), conversation)
        strongest = int(np.argmax([column[0], column[best_sentence], column[-1] if has_history else 0.0]))
        return found, (0, best_sentence, len(column) - 1)[strongest]

    def verdict(self, vectors: np.ndarray, *, has_history: bool = False) -> Verdict:
        """The verdict for the embeddings of ``readings(...)``, the whole message first."""
        p = self.route.probabilities(vectors)
        urgent, worst = self.readings_of(p, "urgent", has_history=has_history)
        decline, most_declinable = self.readings_of(p, "decline", has_history=has_history)
        # Whether the message needs an earlier turn is read from it alone; whether the pages answer
        # it, from the whole conversation, as the head learned it (a follow-up with its question).
        alone, read = p[0], p[-1] if has_history else p[0]
        common = {
            "emergency": self.combiners["urgent"](*urgent.as_tuple()),
            "decline": self.combiners["decline"](*decline.as_tuple()),
            "no_context": float(alone[ROUTES.index("no_context")]),
            "answer_odds": _answer_odds(read),
            "answer_odds_alone": _answer_odds(alone),
            "urgent_readings": urgent,
            "decline_readings": decline,
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


def decline_message(kind: str) -> str:
    """The ``Messages`` field a declined request of ``kind`` gets."""
    return DECLINE_MESSAGES.get(kind, "refused_request")


def load_triage(path: Path = TRIAGE_FILE) -> Triage:
    """Read the fitted heads; raise ``PromptError`` naming what is wrong."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        thresholds = Thresholds(**{k: float(v) for k, v in data["thresholds"].items()})
        combiners = {
            name: Combiner(tuple(float(c) for c in found["coef"]), float(found["intercept"]))
            for name, found in data["combiners"].items()
        }
        if set(combiners) != {"urgent", "decline"} or any(len(c.coef) != 3 for c in combiners.values()):
            raise ValueError("combiners must be 'urgent' and 'decline', each with three weights")
        return Triage(
            Head.from_dict(data["route"]),
            Head.from_dict(data["emergencies"]),
            Head.from_dict(data["declines"]),
            thresholds,
            combiners,
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PromptError(f"The triage file {path} cannot be read ({exc}). Refit it with: python -m learn fit") from exc
