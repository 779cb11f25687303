"""One app server as ``make run`` starts it (``serve.py``), on a free port of 127.0.0.1."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from servers.processes import stop_process, wait_healthy
from settings import REPO_ROOT
from ui import streamlit_command

START_S = 180  # the server listens once its model and index are loaded: slow while other servers load too


@dataclass
class AppServer:
    """``serve.py`` in the repository's folder with the environment ``env``, its output in ``log``.

    >>> server = AppServer(dict(os.environ), Path("app.log")).start().wait()
    >>> server.url                                  # http://127.0.0.1:PORT
    >>> server.stop()
    """

    env: dict[str, str]
    log: Path
    url: str = ""
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> AppServer:
        command, self.url = streamlit_command()
        with open(self.log, "wb") as output:
            self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=self.env, stdout=output, stderr=output)
        return self

    def wait(self, timeout_s: float = START_S) -> AppServer:
        """Return once the server answers its health check; ``RuntimeError`` (with the log's end) otherwise."""
        wait_healthy(self.url, self.process, self.log, timeout_s)
        return self

    def stop(self) -> None:
        stop_process(self.process)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])
