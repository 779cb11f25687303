"""Serve the patient page and the staff pages, with the model loaded before the server listens.

    python serve.py                              # http://127.0.0.1:8501 (what `make run` runs)
    python serve.py --host 0.0.0.0 --port 8080

Streamlit itself runs no app code before a first visitor opens the page, so under plain
``streamlit run app.py`` the first question waits for the model (about 8 s here). This launcher
starts Streamlit in this same process (``st.App``) and, while it starts, imports and loads the
embedding model, opens the served index and builds its bot (``serving.warm_up``); the server
accepts its first connection only when that is done, so the first question is answered at once.
The suggested questions are checked then too. It also mounts the route
that turns a staff sign-in into an HttpOnly cookie (``staff_session``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from contextlib import asynccontextmanager

import streamlit as st

import ui
from settings import settings_from_env

log = logging.getLogger("mbc.serve")


@asynccontextmanager
async def warm_up(_app):
    """Load everything the first question needs before the server listens."""
    settings = settings_from_env()
    started = time.perf_counter()
    version = await asyncio.to_thread(ui.warm_up, settings)
    if version is not None:
        # Before listening too: checking them in the background slowed the first visitor's page and
        # answer by a second or more on two cores.
        await asyncio.to_thread(ui.warm_suggestions, settings, version)
    print(f"Model, index and suggestions ready in {time.perf_counter() - started:.1f} s.", flush=True)
    yield


app = st.App("app.py", routes=ui.staff_session_routes(), lifespan=warm_up)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python serve.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    parser.add_argument("--no-file-watcher", action="store_true", help="do not reload code when files change")
    args = parser.parse_args(argv)
    config = {"server.address": args.host, "server.port": args.port, "server.headless": True}
    if args.no_file_watcher:
        config["server.fileWatcherType"] = "none"
    app.run(config=config)


if __name__ == "__main__":
    main()
