"""What the staff pages compute: citation checks, highlighted pages, CSV export and run comparisons."""

from __future__ import annotations

import csv
import io

import pytest

from audit import StoredAnswer, StoredQuote, Verdict
from evaluation import compare_runs
from staff import CURRENT, GONE, MOVED, PAGE_REMOVED, check_citation, export_csv, highlight_html
from staff.review import EXPORT_COLUMNS, stale_count

PAGE = "Intro line.\nThe bones are a common site.\nMore text. The bones are a common site.\n"


def stored_quote(text: str, start: int, doc_id: str = "page", verdict: Verdict | None = None, **kw) -> StoredQuote:
    return StoredQuote(
        id=kw.get("id", 1),
        answer_id=kw.get("answer_id", 1),
        position=kw.get("position", 0),
        text=text,
        doc_id=doc_id,
        path=f"corpus/{doc_id}.txt",
        title="Title",
        publisher="Publisher",
        url=None,
        start=start,
        end=start + len(text),
        score=0.5,
        verdict=verdict,
    )


QUOTE = "The bones are a common site."


@pytest.mark.parametrize(
    ("texts", "start", "state", "found"),
    [
        ({"page": PAGE}, PAGE.index(QUOTE), CURRENT, PAGE.index(QUOTE)),
        ({"page": "New first line.\n" + PAGE}, PAGE.index(QUOTE), MOVED, len("New first line.\n") + PAGE.index(QUOTE)),
        # Two occurrences: the one nearest the old offsets is taken.
        ({"page": "x" + PAGE}, PAGE.rindex(QUOTE), MOVED, 1 + PAGE.rindex(QUOTE)),
        ({"page": "Intro line.\nThe bones are rarely involved.\n"}, PAGE.index(QUOTE), GONE, None),
        ({"other": PAGE}, PAGE.index(QUOTE), PAGE_REMOVED, None),
    ],
    ids=["current", "moved", "moved-nearest", "gone", "page-removed"],
)
def test_check_citation(texts, start, state, found):
    check = check_citation(stored_quote(QUOTE, start), texts)
    assert check.state == state
    assert check.stale is (state != CURRENT)
    assert check.start == found
    if found is not None:
        assert texts["page"][check.start : check.end] == QUOTE
    assert check.description.startswith("Current" if state == CURRENT else "Stale")


def test_stale_count_counts_only_stale_quotes():
    quotes = [stored_quote(QUOTE, PAGE.index(QUOTE)), stored_quote(QUOTE, 0), stored_quote("absent", 0)]
    assert stale_count(quotes, {"page": PAGE}) == 2


def test_highlight_escapes_everything_but_its_own_mark():
    text = 'a <script>alert(1)</script>\n**b** & "c" [x](javascript:y)'
    start = text.index("**b**")
    out = highlight_html(text, start, start + 5)
    assert out == (
        'a &lt;script&gt;alert(1)&lt;/script&gt;<br><mark id="quote">**b**</mark> &amp; &quot;c&quot; [x](javascript:y)'
    )
    assert highlight_html("a\nb", None, None) == "a<br>b"
    assert highlight_html("abc", 2, 9) == "abc"  # offsets outside the text: no mark at a wrong place


def answer_with(quotes: tuple[StoredQuote, ...], **kw) -> StoredAnswer:
    return StoredAnswer(
        id=kw.get("id", 1),
        created_at="2026-11-22T06:00:00.000000+00:00",
        question=kw.get("question", "what helps?"),
        history_len=2,
        status=kw.get("status", "answered"),
        message="Here is what the pages say:",
        reason="two passages above the threshold",
        index_version="v1",
        helpful=kw.get("helpful"),
        feedback_at=None,
        quotes=quotes,
    )


def test_export_has_a_row_per_quote_and_one_for_a_quoteless_answer():
    verdict = Verdict(7, 2, "outdated", "old figures", "ann", "2026-11-22T07:00:00.000000+00:00")
    answers = [
        answer_with((), id=2, question="@SUM(A1) weather?", status="refused"),
        answer_with(
            (stored_quote(QUOTE, PAGE.index(QUOTE)), stored_quote("-gone", 0, id=2, position=1, verdict=verdict)),
            helpful=False,
        ),
    ]
    text = export_csv(answers, {"page": PAGE})
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    records = [dict(zip(EXPORT_COLUMNS, row, strict=True)) for row in rows[1:]]
    assert [(r["answer_id"], r["quote_position"], r["citation_state"]) for r in records] == [
        ("2", "", ""),
        ("1", "0", "current"),
        ("1", "1", "gone"),
    ]
    assert records[0]["question"] == "'@SUM(A1) weather?"
    assert records[2]["quote_text"] == "'-gone"
    assert (records[2]["verdict"], records[2]["comment"], records[2]["reviewer"]) == ("outdated", "old figures", "ann")
    assert (records[1]["helpful"], records[1]["reason"], records[1]["history_len"]) == (
        "no",
        "two passages above the threshold",
        "2",
    )
    # Without the served index the state is left empty rather than guessed.
    assert list(csv.DictReader(io.StringIO(export_csv(answers))))[1]["citation_state"] == ""


def test_compare_runs_says_which_figures_got_better_or_worse():
    latest = {"hit_at_1": 0.8, "false_refusal_rate": 0.1, "latency_p50_ms": 105.0, "latency_p95_ms": 300.0}
    previous = {"hit_at_1": 0.9, "false_refusal_rate": 0.2, "latency_p50_ms": 100.0, "latency_p95_ms": 200.0}
    rows = {row.name: row for row in compare_runs(latest | {"questions": 73}, previous | {"questions": 73})}
    assert (rows["hit_at_1"].verdict, rows["hit_at_1"].change) == ("worse", -0.1)
    assert rows["false_refusal_rate"].verdict == "better"  # fewer false refusals
    assert rows["latency_p50_ms"].verdict == "same"  # within the 25 % timing noise
    assert rows["latency_p95_ms"].verdict == "worse"
    assert rows["questions"].verdict == ""
    assert [row.name for row in compare_runs(latest, None)] == list(latest)
    assert all(row.previous is None and row.verdict == "" for row in compare_runs(latest, None))
