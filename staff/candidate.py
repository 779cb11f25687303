"""A staged refresh as the maintainer judges it: the citations it would make stale, and its evaluation.

``python -m ingest refresh`` stages a candidate index (``Settings.candidate_index_dir``). Before it is
published, two questions matter besides the diff:

- which quotes already shown to patients (the audit database) are current in the served index but
  would be stale in the candidate, so that reviewers know what to look at again;
- whether answer quality holds: the labelled questions answered from the candidate, next to the
  same questions answered from the served index.

    python -m staff.candidate                       # the citations the candidate would make stale
    python -m staff.candidate --eval data/dev.jsonl   # and the evaluation of both, side by side
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import index as idx
from audit import AuditLog
from embedding import load_embedder
from errors import ChatbotError, RefreshError
from evaluation import MetricChange, compare_runs
from settings import Settings, settings_from_env
from staff.review import check_citation

__all__ = ["Comparison", "StaleCitation", "candidate_index", "compare_evaluations", "stale_citations"]


@dataclass(frozen=True)
class StaleCitation:
    """A stored quote that is current now and would be stale once the candidate is published."""

    answer_id: int
    position: int
    doc_id: str
    state: str  # what the candidate does to it (see staff.review: moved, gone, page removed)
    description: str
    text: str


@dataclass(frozen=True)
class Comparison:
    """The evaluation of the served index and of the candidate on the same labelled file."""

    eval_file: str
    served_version: str
    candidate_version: str
    served: dict  # EvaluationReport.to_dict()
    candidate: dict
    rows: tuple[MetricChange, ...]  # the candidate's overall figures against the served index's

    @property
    def worse(self) -> list[str]:
        return [row.name for row in self.rows if row.verdict == "worse"]


def candidate_index(settings: Settings) -> idx.Index | None:
    """The staged candidate's index, or None when nothing is staged."""
    if idx.current_version(settings.candidate_index_dir) is None:
        return None
    return idx.load(settings.candidate_index_dir)


def stale_citations(settings: Settings, served: idx.Index, candidate: idx.Index) -> list[StaleCitation]:
    """Stored quotes current in ``served`` that ``candidate`` would make stale."""
    if isinstance(settings.audit_db, Path) and not settings.audit_db.exists():
        return []  # no SQLite file yet: nothing was ever cited
    found = []
    for span in AuditLog(settings.audit_db).cited_spans():
        if check_citation(span, served.texts).stale:
            continue  # stale already: the reviewer page shows it
        after = check_citation(span, candidate.texts)
        if after.stale:
            found.append(
                StaleCitation(span.answer_id, span.position, span.doc_id, after.state, after.description, span.text)
            )
    return found


def compare_evaluations(settings: Settings, eval_file: Path) -> Comparison:
    """Answer every labelled question from the served index and from the candidate; both reports side by side."""
    from ask import Bot, answerable_index
    from evaluation import evaluate

    candidate = candidate_index(settings)
    if candidate is None:
        raise RefreshError("Nothing is staged; fetch pages first with: python -m ingest refresh")
    embedder = load_embedder()
    served_bot = Bot(answerable_index(settings), embedder)
    candidate_bot = Bot(candidate, embedder)
    served = evaluate(eval_file, served_bot).to_dict()
    staged = evaluate(eval_file, candidate_bot).to_dict()
    return Comparison(
        str(eval_file),
        served_bot.index_version,
        candidate_bot.index_version,
        served,
        staged,
        tuple(compare_runs(staged["overall"], served["overall"])),
    )


def main(argv: list[str] | None = None) -> int:
    """Print the citations a staged refresh would make stale, and optionally both evaluations."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m staff.candidate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--eval", type=Path, metavar="FILE", help="labelled questions to answer from both indexes")
    args = parser.parse_args(argv)
    settings = settings_from_env()
    try:
        candidate = candidate_index(settings)
        if candidate is None:
            print("Nothing is staged; fetch pages first with: python -m ingest refresh")
            return 0
        served = idx.load(settings.index_dir)
        stale = stale_citations(settings, served, candidate)
        print(f"Citations the candidate {candidate.version} would make stale: {len(stale)}")
        for citation in stale:
            print(
                f"  answer #{citation.answer_id}, citation {citation.position + 1} ({citation.doc_id}): {citation.state}"
            )
        if args.eval:
            comparison = compare_evaluations(settings, args.eval)
            print(
                f"\nEvaluation on {comparison.eval_file}: served {comparison.served_version}, "
                f"candidate {comparison.candidate_version}"
            )
            print(f"  {'figure':<24} {'served':>10} {'candidate':>10}  verdict")
            for row in comparison.rows:
                print(f"  {row.name:<24} {_cell(row.previous):>10} {_cell(row.latest):>10}  {row.verdict}")
    except ChatbotError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


def _cell(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


if __name__ == "__main__":
    raise SystemExit(main())
