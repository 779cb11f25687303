"""Triage on a second author's wordings: the nearest thing here to the fresh wordings it is judged on.

Cross-validation holds out labelled messages, but every fold still learns from messages written
the same way, so a reading that learns how they are written (a word head, say) looks better there
than it is. The example bank was written by someone else, so this check holds half of it out:

- fold 1's encoder (fine-tuned on that fold's labelled messages only; the bank is never in a
  fine-tune);
- triage's heads, exemplars and word head fitted on those labelled messages and the bank's even
  entries;
- the committed combination and thresholds (``models/triage.json``);
- scored on the bank's odd entries: emergencies caught, other messages sent to emergency help,
  requests declined.

    python -m learn second-author [--keep-folds]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from learn.data import TRAIN_FILE, Row, read_rows
from learn.encoder import Recipe
from learn.examples import read_examples
from learn.fit import fit_heads, fold_encoder, folds
from safety import load_triage


@dataclass(frozen=True)
class SecondAuthor:
    emergencies: int
    caught: float  # share of the held-out bank's emergencies sent to emergency help
    others: int
    sent_to_emergency_help: float  # share of its other messages sent there
    requests: int
    declined: float  # share of its requests to decline that were declined

    def to_dict(self) -> dict:
        return {
            "emergencies": self.emergencies,
            "caught": round(self.caught, 4),
            "others": self.others,
            "sent_to_emergency_help": round(self.sent_to_emergency_help, 4),
            "requests": self.requests,
            "declined": round(self.declined, 4),
        }


def _half(row: Row) -> int:
    """0 or 1: the parity of the entry's place in its list (``examples:KIND:LIST:N``)."""
    return int(row.id.rsplit(":", 1)[1]) % 2


def second_author_check(*, folds_dir: Path | None = None, say: Callable = print) -> SecondAuthor:
    rows = read_rows(TRAIN_FILE)
    held = set(folds(rows)[0].tolist())
    train = [row for i, row in enumerate(rows) if i not in held]
    bank = read_examples()
    taught, scored = [r for r in bank if _half(r) == 0], [r for r in bank if _half(r) == 1]
    fitted = fold_encoder(train, Recipe(), 0, folds_dir, say)
    committed = load_triage()
    triage = fit_heads(fitted.model, train + taught, committed.thresholds, committed.combiners)
    say(f"scoring {len(scored)} messages of the bank's other half")
    urgent, others, declined = [], [], []
    for row in scored:
        readings = triage.readings(row.question)
        vectors = fitted.model.encode(readings, normalize_embeddings=True, convert_to_numpy=True)
        verdict = triage.verdict(readings, vectors)
        sent = verdict.sends_to_emergency_help
        (urgent if row.expect == "urgent" else others).append(sent)
        if row.label.startswith("decline:"):
            declined.append(verdict.route == "decline")
    return SecondAuthor(
        len(urgent),
        sum(urgent) / len(urgent),
        len(others),
        sum(others) / len(others),
        len(declined),
        sum(declined) / len(declined),
    )
