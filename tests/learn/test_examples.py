"""The example bank: every kind the labelled data knows, well-formed, and a broken file named."""

from __future__ import annotations

import pytest

from errors import PromptError
from learn.data import TRAIN_FILE, read_rows
from learn.examples import DECLINES_FILE, EMERGENCIES_FILE, examples_sha256, is_example, read_examples


def test_the_bank_covers_every_kind_of_emergency_and_of_declined_request():
    labelled = {row.label for row in read_rows(TRAIN_FILE) if ":" in row.label}
    bank = read_examples()
    assert labelled <= {row.label for row in bank}
    assert all(is_example(row) for row in bank)
    assert not any(is_example(row) for row in read_rows(TRAIN_FILE))


def test_each_emergency_kind_has_calm_look_alikes_to_learn_the_difference():
    bank = read_examples()
    for kind in {row.subtype for row in bank if row.expect == "urgent"}:
        calm = [r for r in bank if r.category == "urgent_lookalike" and r.subtype == kind]
        assert {r.expect for r in calm} == {"answer", "refuse"}, kind


def test_no_message_is_in_the_bank_twice():
    texts = [row.question.lower() for row in read_examples()]
    assert len(texts) == len(set(texts))


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('[breathing]\nwhat = "x"\nmessages = ["a"]\ncalm_answered = []\n', "calm_unanswered"),
        ('[breathing]\nwhat = "x"\nmessages = ["a"]\ncalm_answered = []\ncalm_unanswered = []\nnotes = 1\n', "notes"),
        ('[breathing]\nwhat = "x"\nmessages = [" "]\ncalm_answered = []\ncalm_unanswered = []\n', "empty message"),
        ("[breathing\n", "not valid TOML"),
    ],
)
def test_a_broken_bank_file_is_named_with_its_problem(tmp_path, text, names):
    path = tmp_path / "emergencies.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PromptError) as raised:
        read_examples(emergencies=path, declines=tmp_path / "absent.toml")
    assert names in str(raised.value) and str(path) in str(raised.value)


def test_the_hash_changes_with_the_bank(tmp_path):
    path = tmp_path / "declines.toml"
    path.write_bytes(DECLINES_FILE.read_bytes())
    before = examples_sha256(EMERGENCIES_FILE, path)
    assert before == examples_sha256()
    path.write_bytes(DECLINES_FILE.read_bytes() + b"\n# reviewed\n")
    assert examples_sha256(EMERGENCIES_FILE, path) != before
