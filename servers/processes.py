"""What every throwaway server shares: a free port of 127.0.0.1, waiting for its health check, and stopping it."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

STOP_S = 15  # how long a server has to exit after being asked to, and again after being killed


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout_s: float) -> None:
    """Return once ``url``'s Streamlit health check answers; raise ``RuntimeError`` with the log's end if
    the process exits or ``timeout_s`` passes first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def stop_process(process: subprocess.Popen | None) -> None:
    """Ask a server process to exit (SIGTERM), kill it if it has not within ``STOP_S``; nothing if it has exited."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_S)
