"""Answer quality on labelled questions nothing is fitted on: our own held-out-style set, and the dev set."""

from __future__ import annotations

from pathlib import Path

from ask.evaluate import evaluate
from index import REPO_ROOT

HELDOUT = Path(__file__).with_name("data") / "heldout.jsonl"
DEV_FILE = REPO_ROOT / "data" / "dev.jsonl"


def _check(report, *, hit_at_1, hit_at_3, false_refusal, correct_refusal):
    overall = report.overall
    misses = "\n".join(f"{m['id']}: {m['miss']} ({m['reason']})" for m in report.misses)
    assert overall["hit_at_1"] >= hit_at_1, misses
    assert overall["hit_at_3"] >= hit_at_3, misses
    assert overall["false_refusal_rate"] <= false_refusal, misses
    assert overall["correct_refusal_rate"] >= correct_refusal, misses
    assert overall["urgent_recall"] == 1.0, misses
    assert overall["verbatim_rate"] == 1.0
    assert overall["median_quote_chars"] <= 350


def test_our_held_out_style_questions(bot):
    # Written in other words than the dev set (lay terms, typos, long emotional messages) as a check
    # that the approach is general; its bars are a little lower than dev's as its gold is stricter.
    report = evaluate(HELDOUT, bot)
    _check(report, hit_at_1=0.75, hit_at_3=0.85, false_refusal=0.07, correct_refusal=0.9)


def test_the_dev_set_meets_the_issue_targets(bot):
    report = evaluate(DEV_FILE, bot)
    _check(report, hit_at_1=0.85, hit_at_3=0.95, false_refusal=0.03, correct_refusal=0.97)
    assert report.by_category["near_domain"]["correct_refusal_rate"] >= 0.90
