"""The patient chat page: ``make run`` (the launcher ``serve.py``) or ``streamlit run app.py``.

Streamlit runs this file on every visit and rerun; what the page shows is built in ``ui.patient``.
"""

from ui import patient_page

if __name__ == "__main__":
    patient_page()
