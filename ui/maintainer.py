"""The maintainer page (``pages/2_Maintainer.py``): index status, re-index, refresh → review → publish, and
evaluation runs.

``maintainer_page`` draws it section by section, each section one named step given the settings and,
where it acts, the signed-in maintainer (who is named in the staff action log).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

import index as idx
from ask import load
from audit import EvalRun, last_failure
from errors import ChatbotError
from evaluation import METRICS, compare_runs, evaluate
from settings import Settings, settings_from_env
from staff import StaffUser, candidate_index, compare_evaluations, stale_citations
from ui.staff_components import (
    SHORT_NAMES,
    audit_log,
    change_text,
    escape_markdown,
    evaluation_file,
    figure_text,
    local_time,
    record_action,
    require_sign_in,
    served_index,
    staff_log,
)

if TYPE_CHECKING:
    from ingest import StagedRefresh

REPORT_KEY = "index-report"  # the outcome of the last re-index or refresh: ("ok" | "error", text, steps)
STAGE_MESSAGE_KEY = "stage-message"  # the outcome of the last publish or discard: ("ok" | "error", text)
# The evaluation table's columns: heading and width in pixels, to fit beside the sidebar at 1280 px.
RUN_COLUMNS = {
    "figure": ("Figure", 290),
    "this run": ("This run", 110),
    "previous run": ("Previous run", 120),
    "change": ("Change", 120),
    "verdict": ("Verdict", 90),
}


def maintainer_page() -> None:
    """The whole maintainer page, drawn once per run of ``pages/2_Maintainer.py``."""
    st.set_page_config(page_title="Maintainer", layout="wide")
    st.title("Maintainer: index and answer quality")
    settings = settings_from_env()
    maintainer = require_sign_in("maintainer", settings)
    _index_status(settings)
    _audit_database(settings)
    _staff_actions(settings)
    _reindex(settings, maintainer)
    _staged_refresh(settings, maintainer)
    _answer_quality(settings, maintainer)


def _figure_name(name: str) -> str:
    """An evaluation figure's name for people (``evaluation.METRICS``), else its own."""
    return METRICS.get(name, (name, 0))[0]


# --- index status --------------------------------------------------------------------


def _index_status(settings: Settings) -> None:
    """The served version, its model and splitter, and every page with its checksum."""
    st.header("Index status")
    try:
        manifest = idx.read_manifest(settings.index_dir)
    except ChatbotError as exc:
        st.warning(str(exc))
        return
    try:
        answering = served_index(settings)
    except ChatbotError as exc:
        st.error(f"Patients cannot be answered: {exc}")
    else:
        if answering.fallback_from:
            st.error(
                f"The served index version {answering.fallback_from} failed its integrity check "
                f"({answering.fallback_reason}) Patients are answered from version {answering.version}, the newest "
                "intact one, until the index is rebuilt with `python -m ingest --full`."
            )
    st.markdown(f"Served version **`{manifest.version}`**, built **{local_time(manifest.built_at)}**")
    cols = st.columns(2)
    cols[0].metric("Pages", len(manifest.pages))
    cols[1].metric("Passages in all", manifest.passage_count)
    faiss = manifest.faiss_index
    params = ", ".join(f"{k}={v}" for k, v in (faiss.get("params") or {}).items())
    st.write(
        f"Model: `{manifest.model}` ({manifest.dimension} dimensions) · FAISS index: `{faiss.get('kind')}`"
        + (f" ({params})" if params else "")
    )
    st.caption("Splitter settings")
    st.json(manifest.splitter, expanded=False)
    _pages_table(manifest)


def _pages_table(manifest: idx.Manifest) -> None:
    # Sized to fit the main column beside the sidebar at 1280 px; long titles wrap into the cell's tooltip.
    st.dataframe(
        [
            {
                "title": page.title,
                "publisher": page.publisher,
                "address": page.url or "",
                "passages": page.passage_count,
                "last changed": local_time(page.changed_at),
            }
            for page in manifest.pages
        ],
        hide_index=True,
        key="pages-table",
        width="stretch",
        column_config={
            "title": st.column_config.TextColumn("Title", width=230),
            "publisher": st.column_config.TextColumn("Publisher", width=150),
            "address": st.column_config.LinkColumn(
                "Address", width=140, display_text=r"https?://(?:www\.)?([^/]+).*", help="Empty when not known"
            ),
            "passages": st.column_config.NumberColumn("Passages", width=75),
            "last changed": st.column_config.TextColumn("Last changed", width=130),
        },
    )
    with st.expander("Page files and checksums"):
        st.dataframe(
            [{"file": page.path, "sha256": page.sha256} for page in manifest.pages],
            hide_index=True,
            key="checksums-table",
            width="stretch",
        )


# --- audit database and staff actions -------------------------------------------------


def _audit_database(settings: Settings) -> None:
    """Whether answers are being stored, and how to back them up."""
    st.header("Audit database")
    try:
        log = audit_log(str(settings.audit_db))
        log.check()
    except ChatbotError as exc:
        st.error(f"Answers are not being stored: {exc}")
    else:
        if failure := last_failure(settings.audit_db):
            st.error(f"Storing answers failed at {local_time(failure[0])}: {failure[1]}")
        elif not settings.audit_enabled:
            st.info("Answer storage is off (MBC_AUDIT=off).")
        else:
            st.success(f"Answers are stored in {log.name}; its integrity check passed.")
    st.caption(
        "Back up a SQLite file while the app runs with `python -m audit backup FILE` (SQLite's online backup); "
        "a PostgreSQL database with pg_dump."
    )


def _staff_actions(settings: Settings) -> None:
    """The staff action log, newest first."""
    with st.expander("Staff actions (newest first)"):
        try:
            actions = staff_log(str(settings.staff_db)).actions(limit=200)
        except ChatbotError as exc:
            st.error(f"The staff action log cannot be read: {exc}")
            return
        st.dataframe(
            [
                {
                    "when": local_time(a.created_at),
                    "who": a.actor,
                    "action": a.action,
                    "detail": a.detail,
                    "from": a.client,
                }
                for a in actions
            ],
            hide_index=True,
            key="staff-actions",
            width="stretch",
        )


# --- re-index ------------------------------------------------------------------------


def _reindex(settings: Settings, maintainer: StaffUser) -> None:
    """The re-index and refresh buttons, and the report of the last run."""
    st.header("Re-index")
    st.caption(
        "These run the same code as `python -m ingest` and `python -m ingest refresh`. A re-index writes the new "
        "version beside the served one and swaps it in at the end, so the patient page keeps answering throughout. "
        "A refresh only stages the fetched pages: they go live when you publish them below."
    )
    full = st.checkbox("Full rebuild (re-embed every page, as `--full`)", key="full-rebuild")
    left, right = st.columns(2)
    reindex = left.button("Re-index now", key="reindex", type="primary")
    refresh_pages = right.button("Refresh pages from their addresses", key="refresh")
    if reindex or refresh_pages:
        _run_ingest(settings, maintainer, reindex=reindex, full=full)
    if outcome := st.session_state.get(REPORT_KEY):
        kind, text, steps = outcome
        if kind == "error":
            st.error(text)
        else:
            st.success("Change report of the last run:")
            st.code(text, language=None)
        with st.expander("Steps of the last run"):
            st.text("\n".join(steps) or "none")


def _run_ingest(settings: Settings, maintainer: StaffUser, *, reindex: bool, full: bool) -> None:
    """A re-index (``full``: re-embed every page) or else a refresh, its steps shown as they come and its report
    kept for the rerun that follows."""
    from ingest import build, refresh  # here: importing ``ui``, as the patient page does, never loads ingest

    action = "Re-indexing" if reindex else "Refreshing pages"
    steps: list[str] = []

    def progress(message: str) -> None:
        steps.append(message)
        st.write(message)

    with st.status(f"{action}…", expanded=True) as status:
        try:
            report = build(settings, full=full, progress=progress) if reindex else refresh(settings, progress=progress)
        except ChatbotError as exc:
            status.update(label=f"{action} failed", state="error")
            st.session_state[REPORT_KEY] = ("error", str(exc), steps)
            record_action(settings, maintainer, f"{action.lower()} failed", str(exc))
        else:
            status.update(label=f"{action}: done", state="complete", expanded=False)
            st.session_state[REPORT_KEY] = ("ok", report.summary(), steps)
            record_action(settings, maintainer, "re-index" if reindex else "refresh", report.summary())
    st.rerun()


# --- staged refresh ------------------------------------------------------------------


def _staged_refresh(settings: Settings, maintainer: StaffUser) -> None:
    """The staged refresh, if any: what it changes, what it would make stale, how it answers; publish or discard."""
    st.header("Staged refresh: review, then publish or discard")
    try:
        from ingest import staged

        candidate = staged(settings)
    except ChatbotError as exc:
        candidate = None
        st.warning(f"The staged refresh cannot be shown: {exc}")
    if message := st.session_state.pop(STAGE_MESSAGE_KEY, None):
        (st.success if message[0] == "ok" else st.error)(message[1])
    if candidate is None:
        st.info("Nothing is staged. “Refresh pages from their addresses” fetches pages into a candidate for review.")
        return
    _staged_pages(candidate)
    approved = _approvals(candidate)
    _would_make_stale(settings)
    _candidate_evaluation(settings, candidate)
    _publish_or_discard(settings, maintainer, candidate, approved)


def _staged_pages(candidate: StagedRefresh) -> None:
    st.write(
        f"Fetched {local_time(candidate.created_at)}, made from served version `{candidate.base_version or 'none'}`; "
        f"candidate index `{candidate.candidate_version}`. A page whose text changed by more than "
        f"{candidate.hold_share:.0%} is held until you approve it."
    )
    st.dataframe(
        [
            {
                "page": page.doc_id,
                "outcome": page.outcome,
                "text changed": f"{page.change_share:.0%}" if page.outcome == "updated" else "",
                "held": "held" if page.held else "",
                "reason": page.reason,
            }
            for page in candidate.pages
        ],
        hide_index=True,
        key="staged-table",
    )


def _approvals(candidate: StagedRefresh) -> list[str]:
    """Each updated page's changes; the held pages the maintainer has ticked as read and approved."""
    approved: list[str] = []
    for page in candidate.updated:
        label = f"What changed in {page.doc_id} ({page.change_share:.0%} of its text)" + (
            " · held" if page.held else ""
        )
        with st.expander(escape_markdown(label), expanded=page.held):
            st.code(page.diff or "(only spacing changed)", language="diff")
        if page.held and st.checkbox(
            f"I have read the changes to {page.doc_id} and approve them", key=f"approve-{page.doc_id}"
        ):
            approved.append(page.doc_id)
    return approved


def _would_make_stale(settings: Settings) -> None:
    """The citations shown to patients that publishing the candidate would make stale."""
    try:
        staged_index = candidate_index(settings)
        stale = stale_citations(settings, served_index(settings), staged_index) if staged_index else []
    except ChatbotError as exc:
        stale = []
        st.warning(f"The citations this refresh would make stale cannot be checked: {exc}")
    st.metric("Citations it would make stale", len(stale), help="Quotes shown to patients that would no longer match")
    if stale:
        with st.expander(f"{len(stale)} citation(s) the reviewers should look at again after publishing"):
            for citation in stale:
                st.text(
                    f"Answer #{citation.answer_id}, citation {citation.position + 1} ({citation.doc_id}): "
                    f"{citation.description}"
                )


def _candidate_evaluation(settings: Settings, candidate: StagedRefresh) -> None:
    """The button that evaluates the candidate beside the served index, and the comparison it made."""
    if st.button("Evaluate the candidate beside the served index", key="evaluate-candidate"):
        try:
            path = evaluation_file(settings, str(settings.eval_file))
            with st.spinner(f"Answering every question in {path.name} from both indexes…"):
                st.session_state["candidate-eval"] = compare_evaluations(settings, path)
        except ChatbotError as exc:
            st.error(str(exc))
    comparison = st.session_state.get("candidate-eval")
    if comparison is None or comparison.candidate_version != candidate.candidate_version:
        return
    st.dataframe(
        [
            {
                "figure": _figure_name(row.name),
                "served index": row.previous,
                "candidate": row.latest,
                "change": row.change,
                "verdict": row.verdict,
            }
            for row in comparison.rows
        ],
        hide_index=True,
        key="candidate-eval-table",
    )
    if comparison.worse:
        st.warning("The candidate answers worse on: " + ", ".join(_figure_name(n) for n in comparison.worse))


def _publish_or_discard(
    settings: Settings, maintainer: StaffUser, candidate: StagedRefresh, approved: list[str]
) -> None:
    """Publish the candidate (with the approved held pages) or discard it; either is logged, then the page reruns."""
    from ingest import discard, publish

    left, right = st.columns(2)
    if left.button("Publish", key="publish", type="primary"):
        try:
            result = publish(settings, approve=approved)
        except ChatbotError as exc:
            st.session_state[STAGE_MESSAGE_KEY] = ("error", str(exc))
            record_action(settings, maintainer, "publish failed", str(exc))
        else:
            st.session_state[STAGE_MESSAGE_KEY] = ("ok", result.summary())
            record_action(settings, maintainer, "publish", result.summary())
        st.rerun()
    if right.button("Discard", key="discard"):
        try:
            discard(settings)
        except ChatbotError as exc:
            st.session_state[STAGE_MESSAGE_KEY] = ("error", str(exc))
        else:
            st.session_state[STAGE_MESSAGE_KEY] = ("ok", "Discarded the staged refresh; nothing live changed.")
            record_action(settings, maintainer, "discard", candidate.candidate_version)
        st.rerun()


# --- evaluation ----------------------------------------------------------------------


def _answer_quality(settings: Settings, maintainer: StaffUser) -> None:
    """Run an evaluation on a labelled file; the latest run beside the previous one."""
    st.header("Answer quality")
    try:
        log = audit_log(str(settings.audit_db))
    except ChatbotError as exc:
        st.error(f"Evaluation runs cannot be stored: {exc}")
        st.stop()
    eval_file = st.text_input("Labelled questions (JSON lines)", value=str(settings.eval_file), key="eval-file")
    st.caption(f"Labelled files are read only from {settings.evaluation_dir} (MBC_EVAL_DIR).")
    if st.button("Run evaluation", key="run-eval"):
        try:
            path = evaluation_file(settings, eval_file)
            with st.spinner(f"Answering every question in {path.name}…"):
                bot = load(settings)
                figures = evaluate(path, bot).to_dict()
                log.record_eval_run(
                    figures, eval_file=str(path), index_version=bot.index_version, run_by=maintainer.name
                )
                st.session_state["eval-misses"] = figures.get("misses") or []
        except ChatbotError as exc:
            st.error(str(exc))

    runs = log.eval_runs(limit=2)
    if not runs:
        st.info("No evaluation has been run yet.")
        return
    latest, previous = runs[0], runs[1] if len(runs) > 1 else None
    _runs_compared(latest, previous)
    if latest.by_category:
        _by_category(latest)
    if (misses := st.session_state.get("eval-misses")) is not None:
        _misses(misses)


def _runs_compared(latest: EvalRun, previous: EvalRun | None) -> None:
    """The latest run's figures beside the previous run's, and which got worse."""
    st.write(
        f"Latest run: {local_time(latest.created_at)} by {latest.run_by} on index {latest.index_version}, "
        f"file {latest.eval_file}"
        + (
            f". Previous run: {local_time(previous.created_at)} on index {previous.index_version}."
            if previous
            else ". This is the first run, so there is nothing to compare with yet."
        )
    )
    rows = compare_runs(latest.overall, previous.overall if previous else None)
    st.dataframe(
        [
            {
                "figure": _figure_name(row.name),
                "this run": figure_text(row.name, row.latest),
                "previous run": figure_text(row.name, row.previous),
                "change": change_text(row.name, row.change),
                "verdict": row.verdict or "—",
            }
            for row in rows
        ],
        hide_index=True,
        key="eval-table",
        width="stretch",
        column_config={
            key: st.column_config.TextColumn(label, width=width) for key, (label, width) in RUN_COLUMNS.items()
        },
    )
    if worse := [row for row in rows if row.verdict == "worse"]:
        st.warning("Worse than the previous run: " + ", ".join(_figure_name(r.name) for r in worse))


def _by_category(latest: EvalRun) -> None:
    with st.expander("By category (this run)"):
        # The rates only, under short names, so the table fits beside the sidebar at 1280 px.
        shown = [name for name in SHORT_NAMES if any(name in f for f in latest.by_category.values())]
        st.dataframe(
            [
                {
                    "category": category,
                    **{SHORT_NAMES[name]: figure_text(name, figures.get(name)) for name in shown},
                    "questions": figures.get("questions", "—"),
                }
                for category, figures in latest.by_category.items()
            ],
            hide_index=True,
            key="eval-by-category",
            width="stretch",
        )


def _misses(misses: list[dict]) -> None:
    """The questions the run made in this session got wrong, each with why."""
    with st.expander(f"Questions the run in this session got wrong: {len(misses)}", expanded=bool(misses)):
        if not misses:
            st.write("None.")
        for miss in misses:
            with st.container(border=True):
                st.markdown(
                    f"**{escape_markdown(str(miss.get('id', '')))}** · "
                    f"{escape_markdown(str(miss.get('category', '')))} · "
                    f"**{escape_markdown(str(miss.get('miss', '')))}**"
                )
                st.text(str(miss.get("question", "")))
                if miss.get("reason"):
                    st.caption(f"Why: {escape_markdown(str(miss['reason']))}")
                if miss.get("quotes"):
                    st.text("\n".join(str(quote) for quote in miss["quotes"]))
