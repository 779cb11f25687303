"""Answer or refuse: one calibrated decision over general signals of the evidence.

A logistic regression (``models/decision.json``, fitted by ``python -m learn fit`` on
cross-validated evidence, so it sees the scores a new wording gets, not those of a question
the encoder was fitted on) turns the signals below into the probability that the best quote
answers the question. The bot answers when that probability reaches the threshold.
"""

from __future__ import annotations

import json
from dataclasses import astuple, dataclass, fields
from pathlib import Path

import numpy as np

from errors import PromptError
from settings import REPO_ROOT

DECISION_FILE = REPO_ROOT / "models" / "decision.json"


@dataclass(frozen=True)
class Evidence:
    """What the decision weighs, for one question and its best quote. Each is general, none names a word."""

    answer_odds: float  # the triage head's log-odds that the question is one the pages answer
    best_dense: float  # cosine of the closest quotable sentence
    best_fused: float  # fused score of the best quote
    runner_up_gap: float  # best quote's fused score minus the next one's (0 when alone)
    subject_coverage: float  # idf share of the question's subject words the best quote holds
    unknown_share: float  # idf share of the question's content words the pages never use

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def vector(self) -> np.ndarray:
        return np.array(astuple(self), dtype=np.float64)


@dataclass(frozen=True)
class Decision:
    """A standardised logistic regression over ``Evidence``."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float

    def probability(self, evidence: Evidence) -> float:
        z = (evidence.vector() - self.mean) / self.scale
        return float(1.0 / (1.0 + np.exp(-(z @ self.coef + self.intercept))))

    def answers(self, evidence: Evidence) -> bool:
        return self.probability(evidence) >= self.threshold

    def to_dict(self) -> dict:
        return {
            "features": list(Evidence.names()),
            "mean": [round(float(v), 7) for v in self.mean],
            "scale": [round(float(v), 7) for v in self.scale],
            "coef": [round(float(v), 7) for v in self.coef],
            "intercept": round(float(self.intercept), 7),
            "threshold": round(float(self.threshold), 4),
        }


def load_decision(path: Path = DECISION_FILE) -> Decision:
    """Read the fitted decision; raise ``PromptError`` naming what is wrong."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        features = tuple(data["features"])
        decision = Decision(
            mean=np.array(data["mean"], dtype=np.float64),
            scale=np.array(data["scale"], dtype=np.float64),
            coef=np.array(data["coef"], dtype=np.float64),
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PromptError(
            f"The decision file {path} cannot be read ({exc}). Refit it with: python -m learn fit"
        ) from exc
    if features != Evidence.names():
        raise PromptError(
            f"The decision file {path} weighs {list(features)}, but this code computes {list(Evidence.names())}."
        )
    if not (len(decision.mean) == len(decision.scale) == len(decision.coef) == len(features)):
        raise PromptError(f"The decision file {path} has arrays of different lengths.")
    return decision
