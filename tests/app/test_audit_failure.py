"""Defect 8: when answers cannot be stored, the patient page stops saying they are, and offers no feedback.

Each way the audit database can fail, through the real app under AppTest: the answer is still shown,
the footer says questions cannot be saved, there are no feedback buttons, and the failure is
remembered for the maintainer page.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ask import Answer
from audit import AuditLog, last_failure
from settings import settings_from_env
from tests.app.test_page import SPREAD, answers, ask, quotes_in, session_turns, text_of

pytestmark = pytest.mark.slow

SAVED = "saved on this computer only"
NOT_SAVED = "your questions cannot be saved right now, so clinical staff will not see them"


def damaged_database(path: Path) -> None:
    """A real audit database with one page in the middle overwritten."""
    log = AuditLog(path)
    for number in range(300):
        log.record(Answer(f"question {number} " + "q" * 400, "refused", "m" * 300, "v"), 0)
    log.close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[40960:45056] = b"\xab" * 4096
    path.write_bytes(bytes(data))


BROKEN = [
    ("a folder, not a file", lambda path: path.mkdir()),
    ("not a database", lambda path: path.write_bytes(b"this is not an SQLite database" * 100)),
    ("partly corrupt", damaged_database),
]


@pytest.mark.parametrize("spoil", [b[1] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_database_stops_the_page_promising_to_save(use_built_index, tmp_path, monkeypatch, open_page, spoil):
    path = tmp_path / "broken" / "audit.sqlite3"
    path.parent.mkdir()
    spoil(path)
    monkeypatch.setenv("MBC_AUDIT_DB", str(path))
    at = open_page()
    assert NOT_SAVED in text_of(at.main) and SAVED not in text_of(at.main)
    ask(at, SPREAD)
    [answer] = answers(at)
    assert quotes_in(answer)  # the patient still gets the answer
    assert "Was this helpful?" not in text_of(answer) and not [b for b in at.button if b.key.startswith("helpful-")]
    assert NOT_SAVED in text_of(at.main)
    assert last_failure(settings_from_env().audit_db) is not None


def test_a_database_that_breaks_while_serving_is_noticed_at_the_next_answer(use_built_index, open_page):
    at = open_page()
    assert SAVED in text_of(at.main)
    ask(at, SPREAD)
    assert "Was this helpful?" in text_of(answers(at)[0])
    path = settings_from_env().audit_db
    with sqlite3.connect(path) as db:  # make every later write fail: a trigger refusing new answers
        db.execute("CREATE TRIGGER broken BEFORE INSERT ON answers BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")
    ask(at, "what are the symptoms of bone metastases?")
    first, second = answers(at)
    assert quotes_in(second) and session_turns(at)[1].answer_id is None
    assert "Was this helpful?" not in text_of(first) and "Was this helpful?" not in text_of(second)
    assert NOT_SAVED in text_of(at.main)
    _when, why = last_failure(path)
    assert "disk I/O error" in why
