"""The evaluation harness: answer a labelled file and report quality and speed figures.

    python -m evaluation data/dev.jsonl            # figures, overall and per category
    python -m evaluation data/dev.jsonl --misses   # and every miss
    python -m evaluation FILE.jsonl --json                   # the report as one JSON object

Each line of the file is ``{"id", "question", "expect": "answer"|"refuse"|"urgent", "category",
"evidence": [{"doc": seed, "text": ...}], "history"?: [...]}``. A hit is a returned quote that
overlaps a gold passage (located in the page whose ``seed`` is ``doc``).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ask import ANSWERED, REFUSED, URGENT, Answer
from errors import ChatbotError, QuestionError

FIGURES = (
    "hit_at_1",
    "hit_at_3",
    "quote_precision",
    "false_refusal_rate",
    "correct_refusal_rate",
    "near_domain_refused",
    "declined_requests",
    "urgent_recall",
    "false_urgent",
    "verbatim_rate",
    "median_quote_chars",
    "latency_p50_ms",
    "latency_p95_ms",
)
EXPECTS = ("answer", "refuse", "urgent")


@dataclass(frozen=True)
class Case:
    """One labelled question."""

    id: str
    question: str
    expect: str
    category: str
    evidence: tuple[tuple[str, str], ...]  # (seed, text)
    history: tuple = ()
    subtype: str = ""


@dataclass(frozen=True)
class Outcome:
    """How the bot did on one case."""

    case: Case
    answer: Answer
    seconds: float
    hit_rank: int | None  # 0-based rank of the first quote overlapping gold evidence
    verbatim: tuple[bool, ...]
    gold: list = field(default_factory=list)  # the gold character ranges, (doc_id, start, end)


@dataclass
class EvaluationReport:
    """Figures overall and per category, and the misses."""

    overall: dict
    by_category: dict
    misses: list
    index_version: str
    questions: int
    notes: list = field(default_factory=list)  # gold passages matched only loosely, or not at all
    by_subtype: dict = field(default_factory=dict)  # "category/subtype" → figures

    def to_dict(self) -> dict:
        return {
            "by_subtype": self.by_subtype,
            "overall": self.overall,
            "by_category": self.by_category,
            "misses": self.misses,
            "index_version": self.index_version,
            "questions": self.questions,
            "notes": self.notes,
        }


def read_cases(path: Path) -> list[Case]:
    """Read a labelled JSONL file; raise ``QuestionError`` naming the line that is wrong."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionError(f"The evaluation file {path} cannot be read: {exc}") from exc
    cases = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            expect = row["expect"]
            if expect not in EXPECTS:
                raise ValueError(f"expect must be one of {', '.join(EXPECTS)}, not {expect!r}")
            cases.append(
                Case(
                    id=str(row.get("id", f"line{number}")),
                    question=row["question"],
                    expect=expect,
                    category=str(row.get("category", expect)),
                    evidence=tuple((str(e["doc"]), e["text"]) for e in row.get("evidence", [])),
                    history=tuple(_turn(t) for t in row.get("history") or ()),
                    subtype=str(row.get("subtype") or ""),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise QuestionError(f"{path} line {number} is not a labelled question ({exc})") from exc
    if not cases:
        raise QuestionError(f"The evaluation file {path} holds no questions.")
    return cases


def _turn(turn) -> dict:
    """A history turn as the app passes it: the labelled files write ``{"question": ...}``."""
    if isinstance(turn, dict) and "question" in turn:
        return {"role": "user", "content": turn["question"]}
    return turn


def locate_evidence(cases: list[Case], index) -> tuple[dict[str, list[tuple[str, int, int]]], list[str]]:
    """Gold character ranges per case id, and notes on gold texts not found verbatim."""
    by_seed = {page.seed: page.doc_id for page in index.manifest.pages if page.seed is not None}
    ranges: dict[str, list[tuple[str, int, int]]] = {}
    notes: list[str] = []
    for case in cases:
        found = []
        for seed, text in case.evidence:
            doc_id = by_seed.get(seed)
            page = index.texts.get(doc_id, "") if doc_id else ""
            start = page.find(text) if page else -1
            if start >= 0:
                found.append((doc_id, start, start + len(text)))
                continue
            loose = re.search(r"\s+".join(re.escape(w) for w in text.split()), page) if page else None
            if loose:
                found.append((doc_id, loose.start(), loose.end()))
                notes.append(f"{case.id}: gold text matched ignoring white space in {doc_id}: {text[:60]!r}")
            else:
                notes.append(f"{case.id}: gold text not found in page {seed} ({doc_id}): {text[:60]!r}")
        ranges[case.id] = found
    return ranges, notes


def _overlaps(quote, gold: list[tuple[str, int, int]]) -> bool:
    return any(doc == quote.doc_id and quote.start < end and start < quote.end for doc, start, end in gold)


def hit_rank(answer: Answer, gold: list[tuple[str, int, int]]) -> int | None:
    """The 0-based rank of the first quote overlapping a gold range, or None."""
    return next((rank for rank, quote in enumerate(answer.quotes) if _overlaps(quote, gold)), None)


def run_case(case: Case, bot, gold: list[tuple[str, int, int]]) -> Outcome:
    """Ask ``bot`` one labelled question and measure the answer."""
    started = time.perf_counter()
    answer = bot.ask(case.question, list(case.history) or None)
    seconds = time.perf_counter() - started
    verbatim = tuple(bot.index.texts.get(q.doc_id, "")[q.start : q.end] == q.text for q in answer.quotes)
    return Outcome(case, answer, seconds, hit_rank(answer, gold), verbatim, gold)


def _share(values: list[bool]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))], 2)


def figures(outcomes: list[Outcome]) -> dict:
    """The report's figures over ``outcomes``; a figure with nothing to measure is None."""
    answerable = [o for o in outcomes if o.case.expect == "answer"]
    refusable = [o for o in outcomes if o.case.expect == "refuse"]
    urgent = [o for o in outcomes if o.case.expect == "urgent"]
    calm = [o for o in outcomes if o.case.expect != "urgent"]
    near = [o for o in refusable if o.case.category == "near_domain"]
    declinable = [o for o in refusable if o.case.category in ("request", "adversarial")]
    shown = [_overlaps(q, o.gold) for o in answerable for q in o.answer.quotes]
    lengths = [len(q.text) for o in outcomes for q in o.answer.quotes]
    latencies = [o.seconds * 1000 for o in outcomes]
    return {
        "hit_at_1": _share([o.hit_rank == 0 for o in answerable]),
        "hit_at_3": _share([o.hit_rank is not None and o.hit_rank < 3 for o in answerable]),
        "quote_precision": _share(shown),
        "false_refusal_rate": _share([o.answer.status != ANSWERED for o in answerable]),
        "correct_refusal_rate": _share([o.answer.status == REFUSED for o in refusable]),
        "near_domain_refused": _share([o.answer.status == REFUSED for o in near]),
        "declined_requests": _share([o.answer.status == REFUSED for o in declinable]),
        "urgent_recall": _share([o.answer.status == URGENT for o in urgent]),
        "false_urgent": _share([o.answer.status == URGENT for o in calm]),
        "verbatim_rate": _share([v for o in outcomes for v in o.verbatim]),
        "median_quote_chars": statistics.median(lengths) if lengths else None,
        "latency_p50_ms": _percentile(latencies, 0.5),
        "latency_p95_ms": _percentile(latencies, 0.95),
        "questions": len(outcomes),
    }


def _miss(outcome: Outcome) -> dict | None:
    case, answer = outcome.case, outcome.answer
    expected = {"answer": ANSWERED, "refuse": REFUSED, "urgent": URGENT}[case.expect]
    if answer.status != expected:
        kind = f"expected {expected}, got {answer.status}"
    elif case.expect == "answer" and outcome.hit_rank is None:
        kind = "answered, but no quote overlaps the gold evidence"
    elif case.expect == "answer" and outcome.hit_rank > 0:
        kind = f"first hit at rank {outcome.hit_rank + 1}"
    elif not all(outcome.verbatim):
        kind = "a quote is not verbatim at its offsets"
    else:
        return None
    return {
        "id": case.id,
        "category": case.category,
        "question": case.question,
        "miss": kind,
        "reason": answer.reason,
        "quotes": [f"{q.doc_id} [{q.start}:{q.end}] {q.text[:120]}" for q in answer.quotes],
    }


def evaluate(path: Path | str, bot) -> EvaluationReport:
    """Answer every question of a labelled file with ``bot`` and measure the results."""
    cases = read_cases(Path(path))
    gold, notes = locate_evidence(cases, bot.index)
    bot.ask(cases[0].question)  # warm up: the first call pays one-off costs, not the bot's latency
    outcomes = [run_case(case, bot, gold[case.id]) for case in cases]
    return report_of(outcomes, bot.index_version, notes)


def report_of(outcomes: list[Outcome], index_version: str, notes: list | None = None) -> EvaluationReport:
    """The figures of ``outcomes``, overall, per category and per subtype, with the misses."""
    categories = sorted({o.case.category for o in outcomes})
    subtypes = sorted({(o.case.category, o.case.subtype) for o in outcomes if o.case.subtype})
    return EvaluationReport(
        overall=figures(outcomes),
        by_category={c: figures([o for o in outcomes if o.case.category == c]) for c in categories},
        misses=[m for m in (_miss(o) for o in outcomes) if m is not None],
        index_version=index_version,
        questions=len(outcomes),
        notes=list(notes or []),
        by_subtype={
            f"{c}/{t}": figures([o for o in outcomes if (o.case.category, o.case.subtype) == (c, t)])
            for c, t in subtypes
        },
    )


# Per subtype, the one figure that says how that kind of message went.
_SUBTYPE_FIGURE = {
    "urgent": "urgent_recall",
    "urgent_lookalike": "false_urgent",
    "request": "correct_refusal_rate",
    "in_scope": "hit_at_1",
}


def summary(report: EvaluationReport) -> dict:
    """The headline figures as one flat object (the last line ``make cv`` and ``make eval`` print)."""
    o = report.overall
    lookalikes = report.by_category.get("urgent_lookalike", {})
    return {
        "hit@1": o["hit_at_1"],
        "hit@3": o["hit_at_3"],
        "quote_precision": o["quote_precision"],
        "false_refusal": o["false_refusal_rate"],
        "correct_refusal": o["correct_refusal_rate"],
        "near_domain_refused": o["near_domain_refused"],
        "declined_requests": o["declined_requests"],
        "urgent_recall": o["urgent_recall"],
        "false_urgent": o["false_urgent"],
        "false_urgent_lookalikes": lookalikes.get("false_urgent"),
        "worst_urgent_subtype": min(
            (f["urgent_recall"] for k, f in report.by_subtype.items() if k.startswith("urgent/")), default=None
        ),
        "verbatim": o["verbatim_rate"],
        "questions": report.questions,
    }


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}" if value < 10 else f"{value:.0f}"
    return str(value)


def format_report(report: EvaluationReport, misses: bool = False) -> str:
    """A plain-text table of the figures (and, when asked, every miss)."""
    columns = ["overall", *report.by_category]
    rows = {"overall": report.overall, **report.by_category}
    width = max(len(f) for f in (*FIGURES, "questions")) + 2
    lines = [
        f"Evaluation of {report.questions} questions on index version {report.index_version}",
        "",
        "figure".ljust(width) + "".join(c[:12].rjust(13) for c in columns),
    ]
    for name in ("questions", *FIGURES):
        lines.append(name.ljust(width) + "".join(_cell(rows[c].get(name)).rjust(13) for c in columns))
    if report.by_subtype:
        lines += ["", "by subtype".ljust(44) + "n".rjust(5) + "   figure"]
        for key, found in report.by_subtype.items():
            name = _SUBTYPE_FIGURE.get(key.split("/")[0])
            if name is None or found.get(name) is None:
                name = "correct_refusal_rate" if found.get("correct_refusal_rate") is not None else "hit_at_1"
            lines.append(f"{key[:43].ljust(44)}{found['questions']:>5}   {name} {_cell(found.get(name))}")
    for note in report.notes:
        lines.append(f"note: {note}")
    if misses:
        lines += ["", f"Misses ({len(report.misses)}):"]
        for miss in report.misses:
            lines.append(f"- {miss['id']} [{miss['category']}] {miss['miss']}: {miss['question'][:100]}")
            lines.append(f"    why: {miss['reason']}")
            lines.extend(f"    quote: {quote}" for quote in miss["quotes"][:3])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Evaluate the served index on a labelled JSONL file.

    Example: python -m evaluation data/dev.jsonl --misses
    """
    parser = argparse.ArgumentParser(prog="python -m evaluation", description=main.__doc__)
    parser.add_argument("file", type=Path, help="labelled questions, one JSON object a line")
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON object")
    args = parser.parse_args(argv)
    try:
        from ask import load

        report = evaluate(args.file, load())
    except ChatbotError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(format_report(report, misses=args.misses))
        print(json.dumps(summary(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
