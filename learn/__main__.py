"""Fit, rebuild and cross-validate what the bot learns from ``data/train.jsonl``.

    python -m learn model     # rebuild var/model/ from models/encoder.json (make model; skipped when current)
    python -m learn cv        # 5-fold cross-validation of everything fitted (make cv); about 20 minutes
    python -m learn fit       # cross-validate, then refit models/*.json and var/model/ on every message
    python -m learn second-author   # triage on the example bank's held-out half (learn/second_author.py)

The last line ``cv`` and ``fit`` print is one JSON object of the headline figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from embedding import fine_tune_id, fitted_model_id
from errors import ChatbotError
from evaluation import format_report, report_of, summary
from learn.data import TRAIN_FILE, read_rows
from learn.encoder import Recipe
from learn.examples import read_examples
from learn.fit import build_model, cross_validate, fit_all
from learn.second_author import second_author_check
from settings import settings_from_env


def _say(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m learn", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["model", "cv", "fit", "second-author"])
    parser.add_argument("--force", action="store_true", help="model: rebuild even when var/model/ is current")
    parser.add_argument("--misses", action="store_true", help="cv, fit: list every miss")
    parser.add_argument(
        "--keep-folds",
        action="store_true",
        help="cv, fit, second-author: keep each fold's encoder in var/cv-folds/ and reuse it while the data and recipe are the same",
    )
    args = parser.parse_args(argv)
    settings = settings_from_env()
    started = time.perf_counter()
    try:
        if args.command == "model":
            expected = fine_tune_id()
            if not args.force and fitted_model_id(settings.model_dir) == expected:
                print(f"The model in {settings.model_dir} is fit {expected}: up to date.")
                return 0
            build_model(settings.model_dir, say=_say)
            print(f"Built fit {expected} into {settings.model_dir} in {time.perf_counter() - started:.0f} s.")
            return 0
        folds_dir = settings.model_dir.with_name("cv-folds") if args.keep_folds else None
        if args.command == "second-author":
            found = second_author_check(folds_dir=folds_dir, say=_say)
            print(
                f"The example bank's other half: {found.caught:.3f} of {found.emergencies} emergencies caught, "
                f"{found.sent_to_emergency_help:.3f} of {found.others} other messages sent to emergency help, "
                f"{found.declined:.3f} of {found.requests} requests declined ({time.perf_counter() - started:.0f} s)."
            )
            print(json.dumps(found.to_dict()))
            return 0
        rows = read_rows(TRAIN_FILE)
        recipe = Recipe()
        found = cross_validate(rows, recipe, examples=read_examples(), folds_dir=folds_dir, say=_say)
        report = report_of(found.outcomes, "cross-validation (k=5, seed 0)")
        if args.command == "fit":
            fit_all(found.records, found.fold_of, found.weights, recipe, model_dir=settings.model_dir, say=_say)
    except ChatbotError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    print(format_report(report, misses=args.misses))
    print(f"took {time.perf_counter() - started:.0f} s")
    print(json.dumps(summary(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
