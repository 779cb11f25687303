"""Fixtures for the patient page: the real app under AppTest, and a corpus with a hostile page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from settings import REPO_ROOT, Settings
from tests.conftest import built_index, serve_index

APP = REPO_ROOT / "app.py"
# The first run loads the model and the index; later runs answer one question each.
RUN_TIMEOUT_S = 180

# A page written to attack the page that shows it: HTML, a script, Markdown links and emphasis,
# LaTeX and a Streamlit colour directive, all inside the sentences a patient will be quoted.
HOSTILE_TEXT = """\
Where metastatic breast cancer spreads

Metastatic breast cancer most often spreads to the bones, the lungs, the liver or the brain <script>alert(1)</script> and this is called stage 4 [click](javascript:alert(1)).

The bones are the most common place for breast cancer to spread **first** <img src=x onerror=alert(2)> :red[as a rule] $x^2$.

Treatment of metastatic breast cancer aims to control the cancer and keep a good quality of life for as long as possible.
"""
HOSTILE_SOURCES = [
    {
        "file": "hostile.txt",
        "seed": "900",
        "publisher": "<b>Hostile</b> & Co [pub](javascript:alert(3))",
        "title": "**Spread** <i>guide</i>",
        "url": "javascript:alert(4)",
    },
    {
        "file": "plain.txt",
        "seed": "901",
        "publisher": "Plain Publisher",
        "title": "Living with advanced cancer",
        "url": "https://example.org/living",
    },
]
PLAIN_TEXT = """\
Living with advanced cancer

Many people live with advanced breast cancer for years, and treatment can often keep it under control.

Your care team can help you with pain, tiredness and worries about the future.
"""


def open_app() -> AppTest:
    """The patient page after its first run, with the settings the environment holds now."""
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_S)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def open_page():
    """Open the page after changing the environment: ``at = open_page()``."""
    return open_app


@pytest.fixture
def page(use_built_index: Settings) -> AppTest:
    """The patient page serving the session's real index, after its first run."""
    return open_app()


@pytest.fixture(scope="session")
def hostile_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny corpus whose pages and metadata contain HTML, scripts and Markdown, built with the real model."""
    corpus = tmp_path_factory.mktemp("hostile-corpus")
    (corpus / "hostile.txt").write_text(HOSTILE_TEXT, encoding="utf-8")
    (corpus / "plain.txt").write_text(PLAIN_TEXT, encoding="utf-8")
    (corpus / "sources.json").write_text(json.dumps(HOSTILE_SOURCES), encoding="utf-8")
    return built_index(corpus, tmp_path_factory, "hostile-index")


@pytest.fixture
def hostile_page(hostile_index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    assert serve_index(hostile_index_dir, monkeypatch).index_dir == hostile_index_dir
    return open_app()
