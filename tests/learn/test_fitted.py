"""The fitted files: small, reviewable, tied to the data they came from, and reproduced by a refit."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from ask import DECISION_FILE, PRECEDENTS_FILE, RANKER_FILE, Evidence, load_decision, load_precedents
from ask.retrieve import load_weights
from embedding import ENCODER_FILE, fine_tune_id, fitted_model_id, load_model_folder, sentence_transformer_at
from errors import PromptError
from learn import TRAIN_FILE, read_rows
from learn.data import file_sha256
from learn.examples import examples_sha256, read_examples
from learn.fit import (
    DIRECTIONS,
    fit_heads,
    fit_precedents,
    precedent_texts,
    read_records,
    second_level,
    texts_sha256,
    triage_texts,
)
from safety import EXEMPLARS_FILE, TRIAGE_FILE, WORDS_FILE, load_triage
from settings import REPO_ROOT, settings_from_env

SPEC = json.loads(ENCODER_FILE.read_text(encoding="utf-8"))


def test_every_fitted_file_names_the_data_and_the_fit_it_came_from():
    assert SPEC["data_sha256"] == file_sha256(TRAIN_FILE)
    for path in (TRIAGE_FILE, DECISION_FILE):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["model_id"] == SPEC["model_id"] and data["data_sha256"] == SPEC["data_sha256"]
        assert data["examples_sha256"] == examples_sha256()  # triage's heads also learn from the example bank
    words = json.loads(WORDS_FILE.read_text(encoding="utf-8"))
    assert words["data_sha256"] == SPEC["data_sha256"] and words["examples_sha256"] == examples_sha256()
    assert all(path.stat().st_size < 200_000 for path in (ENCODER_FILE, TRIAGE_FILE, DECISION_FILE))
    assert WORDS_FILE.stat().st_size < 1_000_000  # a line per term: its idf and five weights
    assert EXEMPLARS_FILE.stat().st_size < 4_000_000  # float16 vectors of the texts triage learned from
    assert PRECEDENTS_FILE.stat().st_size < 200_000 and PRECEDENTS_FILE.with_suffix(".npy").stat().st_size < 1_000_000


def test_the_model_built_from_the_repository_matches_the_committed_fit():
    # var/model/ is rebuilt from models/encoder.json and data/train.jsonl by `make model` (which
    # `make test` runs first): its probe vectors must be the committed ones, and triage's heads
    # refitted on its embeddings must be the committed heads.
    folder = settings_from_env().model_dir
    assert fitted_model_id(folder) == fine_tune_id()
    vectors = load_model_folder(folder).embed(SPEC["fingerprint"]["probes"])
    assert np.abs(vectors - np.array(SPEC["fingerprint"]["vectors"])).max() < 2e-3
    committed = load_triage()
    rows = read_rows(TRAIN_FILE) + read_examples()
    refit = fit_heads(sentence_transformer_at(folder), rows, committed.thresholds)
    for name in ("route", "emergencies", "declines"):
        mine, theirs = getattr(refit, name), getattr(committed, name)
        assert mine.classes == theirs.classes
        assert np.abs(mine.probabilities(vectors) - theirs.probabilities(vectors)).max() < 1e-2, name
    # The exemplars are the same texts, with the same routes and (to float16) the same vectors.
    spec = json.loads(TRIAGE_FILE.read_text(encoding="utf-8"))["exemplars"]
    assert spec["texts_sha256"] == texts_sha256(triage_texts(rows)[0])
    assert (refit.exemplars.routes == committed.exemplars.routes).all()
    assert np.abs(refit.exemplars.vectors - committed.exemplars.vectors).max() < 5e-3
    assert np.abs(refit.exemplars.shares(vectors) - committed.exemplars.shares(vectors)).max() < 1e-2
    # The word head: the same terms, idf and weights (to the 6 digits the file keeps).
    assert refit.words.terms == committed.words.terms
    assert np.abs(refit.words.idf - committed.words.idf).max() < 1e-5
    assert np.abs(refit.words.head.weight - committed.words.head.weight).max() < 1e-4
    # The precedents: the answerable rows, their questions as the bot searches them, the same vectors.
    labelled = read_rows(TRAIN_FILE)
    spec = json.loads(PRECEDENTS_FILE.read_text(encoding="utf-8"))
    assert spec["model_id"] == SPEC["model_id"] and spec["data_sha256"] == SPEC["data_sha256"]
    assert spec["texts_sha256"] == texts_sha256(precedent_texts(labelled)[1])
    mine, theirs = fit_precedents(sentence_transformer_at(folder), labelled), load_precedents()
    assert mine.answers == theirs.answers
    assert np.abs(mine.vectors - theirs.vectors).max() < 5e-3


def test_refitting_the_second_level_gives_the_committed_thresholds_and_decision():
    records, _ = read_records()
    level = second_level(records)
    triage = load_triage()
    for name in ("urgent", "safety", "decline", "no_context"):
        assert getattr(level.thresholds, name) == pytest.approx(getattr(triage.thresholds, name), abs=1e-4)
    for name, combiner in level.combiners.items():
        # The records are stored to 7 digits; the log-odds of a share near 0 or 1 magnify that a little.
        assert combiner.coef == pytest.approx(triage.combiners[name].coef, abs=1e-3)
    decision = load_decision()
    assert level.decision.coef == pytest.approx(decision.coef, abs=1e-4)
    assert level.decision.intercept == pytest.approx(decision.intercept, abs=1e-4)


def test_the_decision_is_monotone_in_its_evidence():
    decision = load_decision()
    base = Evidence(
        answer_odds=0.0,
        answer_odds_near=0.0,
        best_dense=0.5,
        best_fused=0.5,
        runner_up_gap=0.02,
        subject_coverage=0.5,
        unknown_share=0.1,
        best_precedent=0.3,
    )
    for name, direction in DIRECTIONS.items():
        if direction == 0:
            continue
        values = [decision.probability(Evidence(**{**base.__dict__, name: v})) for v in np.linspace(-1, 1, 9)]
        steps = np.diff(values) * direction
        assert (steps >= -1e-12).all(), name


def test_the_model_command_is_a_no_op_when_the_model_is_current():
    result = subprocess.run(
        [sys.executable, "-m", "learn", "model"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout


@pytest.mark.parametrize(
    ("path", "load", "change", "problem"),
    [
        (DECISION_FILE, load_decision, lambda d: d.pop("coef"), "missing entry coef"),
        (DECISION_FILE, load_decision, lambda d: d.update(note="x"), "unknown entry note"),
        (DECISION_FILE, load_decision, lambda d: d["features"].pop(), "but this code computes"),
        (DECISION_FILE, load_decision, lambda d: d["mean"].pop(), "arrays of different lengths"),
        (RANKER_FILE, load_weights, lambda d: d["weights"].pop("precedent"), "not the signals"),
        (RANKER_FILE, load_weights, lambda d: d["weights"].update(dense=-1.0), "at least 0 and add up to 1"),
        (RANKER_FILE, load_weights, lambda d: d.update(weights="heavy"), "weights: Input should be an object"),
    ],
)
def test_a_broken_fitted_file_names_what_is_wrong(tmp_path, path, load, change, problem):
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    broken = tmp_path / path.name
    broken.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(PromptError, match=problem) as caught:
        load(broken)
    assert str(broken) in str(caught.value)
