"""The reviewer page under Streamlit's AppTest: the list, citations in their pages, verdicts, stale flags, export."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime

import pytest

import index as idx
from audit import AuditLog
from ingest import build
from settings import Settings, settings_from_env

DOC = "penn-medicine"


@pytest.fixture
def served(use_built_index: Settings) -> idx.Index:
    return idx.load(use_built_index.index_dir)


def test_lists_answers_newest_first_and_filters_them(staff, served, pages, record_answer, quote_of, unique_sentences):
    sentence = unique_sentences(served, DOC)[0]
    quote = quote_of(served, DOC, sentence.start, sentence.end)
    record_answer("oldest question", [quote], at=datetime(2026, 11, 1, tzinfo=UTC))
    record_answer("refused question", [], status="refused", at=datetime(2026, 11, 10, tzinfo=UTC))
    record_answer("urgent question", [], status="urgent", at=datetime(2026, 11, 20, tzinfo=UTC))

    at = pages.open_signed_in(pages.reviewer, "ann")
    questions = [t.value for t in at.text if t.value.endswith("question")]
    assert questions == ["urgent question", "refused question", "oldest question"]
    assert "3 answer(s), newest first" in pages.text(at)

    at.selectbox(key="filter-status").set_value("refused").run()
    assert [t.value for t in at.text if t.value.endswith("question")] == ["refused question"]
    at.selectbox(key="filter-status").set_value("any")
    at.date_input(key="filter-since").set_value(datetime(2026, 11, 5).date())
    at.date_input(key="filter-until").set_value(datetime(2026, 11, 25).date()).run()
    assert [t.value for t in at.text if t.value.endswith("question")] == ["urgent question", "refused question"]
    at.date_input(key="filter-since").set_value(None)
    at.date_input(key="filter-until").set_value(None)
    at.selectbox(key="filter-page").set_value(DOC).run()
    assert [t.value for t in at.text if t.value.endswith("question")] == ["oldest question"]
    pages.ok(at)


def test_a_citation_is_highlighted_inside_its_full_escaped_page(staff, served, pages, record_answer, quote_of):
    sentence = next(s for s in served.sentences if s.doc_id == DOC and s.end - s.start > 80)
    record_answer("<b>bold?</b> *not markdown*", [quote_of(served, DOC, sentence.start, sentence.end)])

    at = pages.open_signed_in(pages.reviewer, "ann")
    page = served.texts[DOC]
    [body] = [element.proto.body for element in at.html if '<mark id="quote">' in element.proto.body]
    escape = lambda part: html.escape(part).replace("\n", "<br>")  # noqa: E731
    expected = (
        escape(page[: sentence.start])
        + '<mark id="quote">'
        + escape(page[sentence.start : sentence.end])
        + "</mark>"
        + escape(page[sentence.end :])
    )
    assert expected in body  # the whole page, the quote marked at its offsets
    record = served.page(DOC)
    shown = pages.text(at)
    shown = shown.replace("\\", "")  # the page backslash-escapes Markdown in names
    assert record.publisher in shown and record.title in shown and record.url in shown
    assert "<b>bold?</b> *not markdown*" in [t.value for t in at.text]  # shown as plain text
    assert "Current: the quoted text is still at these offsets" in shown
    assert at.metric[0].value == "0"


def test_untrusted_text_never_becomes_html(staff, served, pages, record_answer, quote_of):
    quote = quote_of(served, DOC, 0, 10) | {"text": '<img src=x onerror="alert(1)">', "start": 0, "end": 30}
    record_answer("question with a stale quote", [quote])
    at = pages.open_signed_in(pages.reviewer, "ann")
    bodies = "".join(h.proto.body for h in at.html)
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in bodies
    assert "<img" not in bodies


def test_a_verdict_is_saved_with_the_reviewers_name(staff, served, pages, record_answer, quote_of, isolated_env):
    sentence = next(s for s in served.sentences if s.doc_id == DOC)
    answer_id = record_answer("is it curable?", [quote_of(served, DOC, sentence.start, sentence.end)])
    quote_id = AuditLog(isolated_env.audit_db).answer(answer_id).quotes[0].id

    at = pages.open_signed_in(pages.reviewer, "ann")
    at.radio(key=f"verdict-{quote_id}").set_value("misleading")
    at.text_area(key=f"comment-{quote_id}").input("cut before the important caveat")
    pages.ok(at.button(key=f"save-{quote_id}").click().run())

    (verdict,) = AuditLog(isolated_env.audit_db).verdict_history(quote_id)
    assert (verdict.verdict, verdict.comment, verdict.reviewer) == (
        "misleading",
        "cut before the important caveat",
        "ann",
    )
    assert datetime.fromisoformat(verdict.created_at) <= datetime.now(UTC)
    shown = pages.text(at)
    assert f"Saved: misleading out of context for answer #{answer_id}." in shown
    from ui import staff_components as staff_ui

    assert f"Verdict: misleading out of context, by ann, {staff_ui.local_time(verdict.created_at)}" in shown
    assert re.search(r"Verdict: misleading out of context, by ann, \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}", shown)
    at.selectbox(key="filter-verdict").set_value("misleading").run()
    assert "is it curable?" in [t.value for t in at.text]
    # A second look replaces the verdict; the first stays in the history.
    at.radio(key=f"verdict-{quote_id}").set_value("correct")
    pages.ok(at.button(key=f"save-{quote_id}").click().run())
    assert [v.verdict for v in AuditLog(isolated_env.audit_db).verdict_history(quote_id)] == ["misleading", "correct"]
    assert "0 answer(s), newest first" in pages.text(at)  # still filtered on "misleading"
    at.selectbox(key="filter-verdict").set_value("correct").run()
    assert any(c.value.startswith("Earlier verdicts: misleading out of context by ann, ") for c in at.caption)
    at.selectbox(key="filter-verdict").set_value("unreviewed").run()
    assert "0 answer(s), newest first" in pages.text(at)


def test_saving_without_a_verdict_says_so(staff, served, pages, record_answer, quote_of, isolated_env):
    sentence = next(s for s in served.sentences if s.doc_id == DOC)
    answer_id = record_answer("q", [quote_of(served, DOC, sentence.start, sentence.end)])
    quote_id = AuditLog(isolated_env.audit_db).answer(answer_id).quotes[0].id
    at = pages.open_signed_in(pages.reviewer, "ann")
    at.button(key=f"save-{quote_id}").click().run()
    assert "Choose a verdict first." in pages.text(at)
    assert AuditLog(isolated_env.audit_db).verdict_history(quote_id) == []


def test_export_holds_answers_quotes_and_verdicts(staff, served, pages, record_answer, quote_of, isolated_env):
    first, second = [s for s in served.sentences if s.doc_id == DOC and s.end - s.start > 40][:2]
    quotes = [quote_of(served, DOC, first.start, first.end, 0.8), quote_of(served, DOC, second.start, second.end, 0.7)]
    answered = record_answer("=HYPERLINK(1) what helps?", quotes, at=datetime(2026, 11, 2, tzinfo=UTC))
    refused = record_answer("what is the weather?", [], status="refused", at=datetime(2026, 11, 3, tzinfo=UTC))
    log = AuditLog(isolated_env.audit_db)
    log.set_feedback(answered, helpful=True)
    log.add_verdict(log.answer(answered).quotes[1].id, "outdated", comment="2014 figures", reviewer="ann")

    at = pages.open_signed_in(pages.reviewer, "ann")
    rows = list(csv.DictReader(io.StringIO(pages.download(at, "export").decode("utf-8"))))
    assert [(r["answer_id"], r["status"], r["quote_position"]) for r in rows] == [
        (str(refused), "refused", ""),
        (str(answered), "answered", "0"),
        (str(answered), "answered", "1"),
    ]
    assert rows[1]["question"] == "'=HYPERLINK(1) what helps?"  # a spreadsheet must not run it
    assert rows[1]["quote_text"] == served.texts[DOC][first.start : first.end]
    assert (rows[1]["helpful"], rows[1]["citation_state"], rows[1]["verdict"]) == ("yes", "current", "")
    assert (rows[2]["verdict"], rows[2]["comment"], rows[2]["reviewer"]) == ("outdated", "2014 figures", "ann")
    assert (rows[2]["doc_id"], rows[2]["publisher"], rows[2]["score"]) == (DOC, served.page(DOC).publisher, "0.7000")

    at.selectbox(key="filter-status").set_value("refused").run()
    rows = list(csv.DictReader(io.StringIO(pages.download(at, "export").decode("utf-8"))))
    assert [r["answer_id"] for r in rows] == [str(refused)]


@pytest.mark.slow
def test_citations_go_stale_after_the_page_changes_and_is_reindexed(
    staff, own_index, corpus_copy, pages, record_answer, quote_of, unique_sentences
):
    settings = settings_from_env()  # the index copy and the corpus copy
    assert (settings.index_dir, settings.corpus_dir) == (own_index.index_dir, corpus_copy)
    build(settings)  # the corpus copy has other paths: page details only, nothing re-embedded
    before = idx.load(settings.index_dir)
    moving, vanishing = unique_sentences(before, DOC)[:2]
    other = unique_sentences(before, "susan-g-komen")[0]
    moving_text = before.texts[DOC][moving.start : moving.end]
    vanishing_text = before.texts[DOC][vanishing.start : vanishing.end]
    record_answer(
        "three citations",
        [
            quote_of(before, DOC, moving.start, moving.end),
            quote_of(before, DOC, vanishing.start, vanishing.end),
            quote_of(before, "susan-g-komen", other.start, other.end),
        ],
        index_version=before.version,
    )
    at = pages.open_signed_in(pages.reviewer, "ann")
    assert at.metric[0].value == "0"

    page_file = corpus_copy / f"{DOC}.txt"
    text = page_file.read_text(encoding="utf-8")
    added = "A paragraph the publisher added at the top of the page.\n\n"
    page_file.write_text(added + text.replace(vanishing_text, ""), encoding="utf-8")
    report = build(settings)
    assert report.changed == [DOC]
    after = idx.load(settings.index_dir)
    new_start = after.texts[DOC].index(moving_text)

    at.run()
    pages.ok(at)
    assert at.metric[0].value == "2"
    shown = pages.text(at)
    assert "Stale: the page changed and the quoted text is now at other offsets." in shown
    assert "Stale: the page changed and no longer contains the quoted text." in shown
    assert shown.count("Current: the quoted text is still at these offsets") == 1
    assert sum(e.label.startswith("Stale · ") for e in at.expander) == 2
    bodies = [h.proto.body for h in at.html]
    # The moved quote: its old text, then the page's new text with the quote marked where it is now.
    escape = lambda part: html.escape(part).replace("\n", "<br>")  # noqa: E731
    new_page = after.texts[DOC]
    assert any(
        escape(new_page[:new_start]) + '<mark id="quote">' + escape(moving_text) + "</mark>" in body for body in bodies
    )
    # Both stale quotes are also shown in the page as it was when answered (that version is still kept).
    old_page = before.texts[DOC]
    marked_then = escape(old_page[: vanishing.start]) + '<mark id="quote">' + escape(vanishing_text) + "</mark>"
    assert any(marked_then in body for body in bodies)
    # The vanished quote: the new page without any mark.
    assert any(escape(added.strip()) in body and "<mark" not in body for body in bodies)


def test_hostile_names_and_addresses_stay_plain_text(staff, served, pages, record_answer, quote_of):
    sentence = next(s for s in served.sentences if s.doc_id == DOC)
    hostile = quote_of(served, DOC, sentence.start, sentence.end) | {
        "publisher": "<b>Hostile</b> & Co [pub](javascript:alert(3))",
        "title": "**Spread** <i>guide</i> :red[loud] $x^2$",
        "url": "javascript:alert(4)",
    }
    record_answer("hostile citation", [hostile])
    at = pages.ok(pages.open_signed_in(pages.reviewer, "ann"))
    source_line = next(m.value for m in at.markdown if "Hostile" in m.value)
    # Every Markdown and HTML character of the stored names is backslash-escaped, so none of it acts.
    assert r"\<b\>Hostile\</b\> \& Co \[pub\]\(javascript\:alert\(3\)\)" in source_line
    assert r"\*\*Spread\*\* \<i\>guide\</i\> \:red\[loud\] \$x^2\$" in source_line
    assert r"Address: javascript\:alert\(4\)" in source_line
    (label,) = [e.label for e in at.expander if "Hostile" in e.label]
    assert r"\[pub\]\(javascript\:alert\(3\)\)" in label


def test_the_list_is_paged_twenty_at_a_time(staff, pages, record_answer):
    for n in range(25):
        record_answer(f"question {n:02d}", [], status="refused", at=datetime(2026, 11, 1, 0, n, tzinfo=UTC))
    at = pages.open_signed_in(pages.reviewer, "ann")
    shown = [t.value for t in at.text if t.value.startswith("question ")]
    assert shown == [f"question {n:02d}" for n in range(24, 4, -1)]
    at.number_input(key="list-page").set_value(2).run()
    shown = [t.value for t in at.text if t.value.startswith("question ")]
    assert shown == [f"question {n:02d}" for n in range(4, -1, -1)]


# Defect 8: a partly corrupt database crashed the reviewer page.
@pytest.mark.slow
def test_a_damaged_audit_database_is_a_clear_message_on_both_staff_pages(staff, pages, isolated_env):
    from tests.app.test_audit_failure import damaged_database

    damaged_database(isolated_env.audit_db)
    reviewer = pages.ok(pages.open_signed_in(pages.reviewer, "ann"))
    (error,) = reviewer.error
    assert error.value.startswith("The stored answers cannot be read, so there is nothing to review right now:")
    assert "is damaged" in error.value and "python -m audit check" in error.value
    maintainer = pages.ok(pages.open_signed_in(pages.maintainer, "max"))
    assert any(e.value.startswith("Answers are not being stored: The audit database") for e in maintainer.error)


# Defect 10: verdicts and exports were logged nowhere.
def test_verdicts_and_exports_go_to_the_staff_action_log(staff, use_built_index, pages, record_answer, quote_of):
    from audit import StaffLog

    served = idx.load(use_built_index.index_dir)
    sentence = next(s for s in served.sentences if s.doc_id == "penn-medicine" and s.end - s.start > 40)
    record_answer("where does it spread?", [quote_of(served, "penn-medicine", sentence.start, sentence.end)])
    at = pages.open_signed_in(pages.reviewer, "ann")
    quote_id = int(next(r.key for r in at.radio if r.key.startswith("verdict-")).split("-")[1])
    at.radio(key=f"verdict-{quote_id}").set_value("correct")
    at.button(key=f"save-{quote_id}").click().run()
    pages.ok(at)
    assert b"where does it spread?" in pages.download(at, "export")
    actions = [(a.actor, a.action, a.detail) for a in StaffLog(use_built_index.staff_db).actions()]
    assert actions[:3] == [
        ("ann", "export", "1 answers as CSV"),
        ("ann", "verdict", f"correct on quote {quote_id}"),
        ("ann", "sign-in", "as reviewer"),
    ]
