"""Staff work: sign-in (``access.py``), reviewing stored answers and their CSV export (``review.py``),
and judging a staged refresh before it is published (``candidate.py``).

    python -m staff.access ann reviewer              # make a sign-in entry for MBC_STAFF_USERS
    python -m staff.candidate --eval data/dev.jsonl  # what a staged refresh would change

The Streamlit pages that use these are in ``ui``; the answers and verdicts they read are stored
by ``audit``.
"""

from staff.access import (
    ENABLE_HINT,
    ROLES,
    SignInGuard,
    StaffUser,
    authenticate,
    hash_password,
    make_entry,
    parse_staff_users,
    verify_password,
)
from staff.candidate import Comparison, StaleCitation, candidate_index, compare_evaluations, stale_citations
from staff.review import CURRENT, GONE, MOVED, PAGE_REMOVED, CitationCheck, check_citation, export_csv, highlight_html

__all__ = [
    "CURRENT",
    "ENABLE_HINT",
    "GONE",
    "MOVED",
    "PAGE_REMOVED",
    "ROLES",
    "CitationCheck",
    "Comparison",
    "SignInGuard",
    "StaffUser",
    "StaleCitation",
    "authenticate",
    "candidate_index",
    "check_citation",
    "compare_evaluations",
    "export_csv",
    "hash_password",
    "highlight_html",
    "make_entry",
    "parse_staff_users",
    "stale_citations",
    "verify_password",
]
