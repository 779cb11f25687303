"""Evaluation: answer a labelled file, report quality and speed, and compare two runs.

    python -m evaluation data/dev.jsonl            # figures, overall and per category
    python -m evaluation data/dev.jsonl --misses   # and every miss

``evaluate`` runs the harness (``harness.py``) over a bot; ``compare_runs`` puts a run's figures
next to the previous run's (``comparison.py``), as the maintainer page shows them.
"""

from evaluation.comparison import METRICS, MetricChange, compare_runs
from evaluation.harness import (
    Case,
    EvaluationReport,
    Outcome,
    evaluate,
    format_report,
    locate_evidence,
    read_cases,
    report_of,
    run_case,
    summary,
)

__all__ = [
    "METRICS",
    "Case",
    "EvaluationReport",
    "MetricChange",
    "Outcome",
    "compare_runs",
    "evaluate",
    "format_report",
    "locate_evidence",
    "read_cases",
    "report_of",
    "run_case",
    "summary",
]
