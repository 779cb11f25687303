"""Fitting what the bot learns from labelled messages: the fine-tuned encoder, triage, the decision.

Reads ``data/train.jsonl``; writes the small fitted files in ``models/`` and the fine-tuned
encoder in ``var/model/``. Nothing imports this package: ``ask`` and ``index`` read its output.

    python -m learn model   # rebuild var/model/ deterministically (make model)
    python -m learn cv      # cross-validate everything fitted (make cv)
    python -m learn fit     # refit and write models/*.json (make fit)
"""

from learn.data import DEV_FILE, TRAIN_FILE, Row, read_rows
from learn.encoder import FineTuned, Recipe, fine_tune
from learn.fit import CrossValidation, build_model, cross_validate, fit_all

__all__ = [
    "DEV_FILE",
    "TRAIN_FILE",
    "CrossValidation",
    "FineTuned",
    "Recipe",
    "Row",
    "build_model",
    "cross_validate",
    "fine_tune",
    "fit_all",
    "read_rows",
]
