"""A throwaway PostgreSQL cluster in a temp folder, for the tests and the replica benchmark.

Debian's server binaries (``/usr/lib/postgresql/<version>/bin``, ``make postgres`` installs them) run
a cluster on a free port of 127.0.0.1 with its socket in the same folder, trust authentication and
no durability settings worth keeping (``fsync=off``): it lives for one test session or one bench run.
PostgreSQL refuses to run as root, so under root (CI) the server runs as ``nobody``.

>>> with Cluster() as cluster:
...     url = cluster.create_database("audit_test")   # postgresql://mbc@127.0.0.1:PORT/audit_test
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from servers.processes import free_port

SERVER_USER = "nobody"  # who runs the server when we are root
START_TIMEOUT_S = 60


def server_bin() -> Path | None:
    """The folder of Debian's newest PostgreSQL server binaries, or one on PATH; None when not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


class Cluster:
    """One PostgreSQL server in its own temp folder; ``start`` it, make databases, ``stop`` it (removes the folder)."""

    def __init__(self) -> None:
        self.bin = server_bin()
        if self.bin is None:
            raise FileNotFoundError(
                "PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/initdb); install it with: "
                "make postgres (as root)"
            )
        self.root = Path(tempfile.mkdtemp(prefix="mbc-postgres-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.user = "mbc"
        self._as_server = ["runuser", "-u", SERVER_USER, "--"] if os.geteuid() == 0 else []
        self.started = False

    def _run(self, *command: str) -> None:
        result = subprocess.run(
            [*self._as_server, *command], capture_output=True, text=True, timeout=START_TIMEOUT_S, cwd=self.root
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")

    def start(self) -> str:
        """Create and start the cluster; returns the URL of its ``postgres`` database."""
        if self._as_server:
            shutil.chown(self.root, user=SERVER_USER)
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust", "-E", "UTF8")
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w",
            "-t", str(START_TIMEOUT_S), "start",
        )  # fmt: skip
        self.started = True
        return self.url("postgres")

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def log(self) -> str:
        path = self.root / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop the server (fast: open connections are closed) and remove its folder."""
        try:
            if self.started:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
                self.started = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()
