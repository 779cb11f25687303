"""What people see: the patient page, the two staff pages, the pieces they share, and what the server loads once.

``app.py`` runs ``patient_page``, ``pages/1_Reviewer.py`` runs ``reviewer_page`` and
``pages/2_Maintainer.py`` runs ``maintainer_page``; the staff pages build on the staff components
(sign-in, the audit log, the served index, times and figures as text); the launcher ``serve.py``
calls ``warm_up`` and mounts ``staff_session_routes``. The page only renders
what ``ask`` returns. ``streamlit_command`` and ``CHROMIUM`` start the app and a real browser
for the browser tests and the cold-start benchmark.
"""

from ui.launch import CHROMIUM, CHROMIUM_ARGS, streamlit_command
from ui.maintainer import maintainer_page
from ui.patient import main as patient_page
from ui.reviewer import reviewer_page
from ui.serving import warm_suggestions, warm_up
from ui.staff_components import (
    SHORT_NAMES,
    audit_log,
    change_text,
    escape_markdown,
    evaluation_file,
    figure_text,
    first_words,
    local_time,
    page_html,
    page_when_answered,
    plain_html,
    record_action,
    require_sign_in,
    scroll_to_marks,
    served_index,
    staff_log,
)
from ui.staff_session import routes as staff_session_routes

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "SHORT_NAMES",
    "audit_log",
    "change_text",
    "escape_markdown",
    "evaluation_file",
    "figure_text",
    "first_words",
    "local_time",
    "maintainer_page",
    "page_html",
    "page_when_answered",
    "patient_page",
    "plain_html",
    "record_action",
    "require_sign_in",
    "reviewer_page",
    "scroll_to_marks",
    "served_index",
    "staff_log",
    "staff_session_routes",
    "streamlit_command",
    "warm_suggestions",
    "warm_up",
]
