"""How the app is started for a real browser: its command line on a free port, and Debian's Chromium.

The browser tests (``tests/conftest.py``) and the cold-start benchmark (``bench.cold_start``)
start the app and drive it the same way, from here.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package (make browser); never `playwright install`
# Without the background-networking flags Chromium keeps trying hosts this closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def streamlit_command(*, launcher: bool = True) -> tuple[list[str], str]:
    """The app on a free port of 127.0.0.1, headless; returns the command and its address.

    By default the launcher ``make run`` runs (``serve.py``: the model loaded before the server
    listens, and the staff sign-in route); ``launcher=False`` is plain ``streamlit run app.py``.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    if launcher:
        command = [sys.executable, "serve.py", "--host", "127.0.0.1", "--port", str(port), "--no-file-watcher"]
        return command, f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.address", "127.0.0.1", "--server.port", str(port), "--server.fileWatcherType", "none"]
    return command, f"http://127.0.0.1:{port}"
