"""What people see: the patient page, the two staff pages, and what the server loads once.

``app.py`` runs ``patient_page``, ``pages/1_Reviewer.py`` runs ``reviewer_page`` and
``pages/2_Maintainer.py`` runs ``maintainer_page``; the staff pages share ``ui.staff_components``
(sign-in, the audit log, the served index, times and figures as text). The launcher ``serve.py``
calls ``warm_up`` and ``warm_suggestions`` and mounts ``staff_session_routes``. The pages only
render what ``ask``, ``audit``, ``staff`` and ``evaluation`` return. ``streamlit_command`` and
``CHROMIUM`` start the app and a real browser for the browser tests and the benchmarks.
"""

from ui.launch import CHROMIUM, CHROMIUM_ARGS, streamlit_command
from ui.maintainer import maintainer_page
from ui.patient import main as patient_page
from ui.reviewer import reviewer_page
from ui.serving import warm_suggestions, warm_up
from ui.staff_session import routes as staff_session_routes

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "maintainer_page",
    "patient_page",
    "reviewer_page",
    "staff_session_routes",
    "streamlit_command",
    "warm_suggestions",
    "warm_up",
]
