"""Answer or refuse: one calibrated decision over general signals of the evidence.

A logistic regression (``models/decision.json``, fitted by ``python -m learn fit`` on
cross-validated evidence, so it sees the scores a new wording gets, not those of a question
the encoder was fitted on) turns the signals below into the probability that the best quote
answers the question. The bot answers when that probability reaches the threshold.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, fields
from pathlib import Path

import numpy as np

from errors import PromptError
from prompts import REFIT, FittedFile, read_fitted_file
from settings import REPO_ROOT

DECISION_FILE = REPO_ROOT / "models" / "decision.json"


@dataclass(frozen=True)
class Evidence:
    """What the decision weighs, for one question and its best quote. Each is general, none names a word."""

    answer_odds: float  # the triage head's log-odds that the question is one the pages answer
    answer_odds_near: float  # the same among its nearest exemplars (answered against refused ones)
    best_dense: float  # cosine of the closest quotable sentence
    best_fused: float  # fused score of the best quote
    runner_up_gap: float  # best quote's fused score minus the next one's (0 when alone)
    subject_coverage: float  # idf share of the question's subject words the best quote holds
    unknown_share: float  # idf share of the question's content words the pages never use
    best_precedent: float  # the precedent vote of the best quote: similar answered questions' answers hold it

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


class _DecisionFile(FittedFile):
    """The fields of ``models/decision.json``: where the fit came from, then the regression."""

    model_id: str
    data_sha256: str
    examples_sha256: str
    fitted_on: str
    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    threshold: float


def load_decision(path: Path = DECISION_FILE) -> Decision:
    """Read the fitted decision; raise ``PromptError`` naming what is wrong."""
    data = read_fitted_file(path, _DecisionFile, "decision file")
    if tuple(data.features) != Evidence.names():
        raise PromptError(
            f"The decision file {path} weighs {data.features}, but this code computes {list(Evidence.names())}. {REFIT}"
        )
    if not (len(data.mean) == len(data.scale) == len(data.coef) == len(data.features)):
        raise PromptError(f"The decision file {path} has arrays of different lengths. {REFIT}")
    return Decision(
        mean=np.array(data.mean, dtype=np.float64),
        scale=np.array(data.scale, dtype=np.float64),
        coef=np.array(data.coef, dtype=np.float64),
        intercept=data.intercept,
        threshold=data.threshold,
    )
