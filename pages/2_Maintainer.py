"""The maintainer page: index status, re-index, refresh → review → publish, and evaluation runs.

Streamlit lists this file as the page ``/Maintainer`` of ``app.py`` and runs it on every visit and rerun;
what the page shows is built in ``ui.maintainer``.
"""

from ui import maintainer_page

if __name__ == "__main__":
    maintainer_page()
