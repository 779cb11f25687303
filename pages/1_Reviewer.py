"""The reviewer page: every stored answer, each cited passage inside its full page, verdicts, stale flags, CSV export.

Streamlit lists this file as the page ``/Reviewer`` of ``app.py`` and runs it on every visit and rerun; what
the page shows is built in ``ui.reviewer``.
"""

from ui import reviewer_page

if __name__ == "__main__":
    reviewer_page()
