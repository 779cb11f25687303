"""``python -m ask`` and ``python -m evaluation``: output formats and exit codes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ask import __main__ as cli
from errors import IndexCorruptError, IndexMissingError
from evaluation import harness as evaluation
from index import load as load_index
from settings import REPO_ROOT, Settings


@pytest.fixture
def served(built_index_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MBC_INDEX_DIR", str(built_index_dir))
    return built_index_dir


def test_a_question_prints_the_quotes_and_their_sources(served, capsys):
    assert cli.main(["where does breast cancer usually spread to?"]) == 0
    out = capsys.readouterr().out
    assert "[1] “" in out and "corpus/" in out and "characters " in out


def test_json_prints_one_answer_object(served, capsys):
    assert cli.main(["--json", "can stage 4 breast cancer be cured?"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "answered" and data["quotes"]


def test_jsonl_answers_each_line_in_order(served, monkeypatch, capsys):
    lines = [
        "what are the symptoms of bone mets?",
        json.dumps(
            {"question": "what about the liver?", "history": [{"role": "user", "content": "symptoms of bone mets?"}]}
        ),
        "",
        "{not json, so a plain question",
        json.dumps({"history": []}),
        "i cant breathe and my chest is really hurting",
    ]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    assert cli.main(["--jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["status"] for row in rows] == ["answered", "answered", "refused", "refused", "refused", "urgent"]
    assert "liver" in rows[1]["quotes"][0]["text"].lower()
    assert rows[3]["question"] == "{not json, so a plain question"


@pytest.mark.parametrize(
    "argv",
    [[], ["--jsonl", "a question"], ["--json", "--jsonl"]],
)
def test_usage_errors_exit_2(served, argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(argv)
    assert stopped.value.code == 2


def test_a_missing_index_names_the_rebuild_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MBC_INDEX_DIR", str(tmp_path / "nothing-here"))
    assert cli.main(["what is metastatic breast cancer?"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and "python -m ingest" in err and "Traceback" not in err


def test_load_raises_clear_errors_for_a_missing_or_damaged_index(built_index_dir, tmp_path):
    from ask import load

    with pytest.raises(IndexMissingError, match="python -m ingest"):
        load(Settings(index_dir=tmp_path / "empty"))
    damaged = tmp_path / "damaged"
    import shutil

    shutil.copytree(built_index_dir, damaged)
    version = load_index(damaged).version
    (damaged / "versions" / version / "sentences.npy").write_bytes(b"not an array")
    with pytest.raises(IndexCorruptError, match="python -m ingest"):
        load(Settings(index_dir=damaged))


def test_an_index_of_another_analyser_is_refused_with_the_full_rebuild_command(built_index_dir, tmp_path):
    import json
    import shutil

    from ask import load

    other = tmp_path / "other"
    shutil.copytree(built_index_dir, other)
    manifest_path = other / "versions" / load_index(other).version / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["lexical"]["analyzer"] = "index.text v0"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match=r"other lexical settings .* python -m ingest --full"):
        load(Settings(index_dir=other))


@pytest.mark.slow
def test_the_real_entry_point_reads_stdin_and_loads_once(served):
    env = {**os.environ, "MBC_INDEX_DIR": str(served)}
    result = subprocess.run(
        [sys.executable, "-m", "ask", "--jsonl"],
        input="where does it spread?\nwhat is the capital of France?\n",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["status"] for line in result.stdout.splitlines()] == ["answered", "refused"]


TINY = [
    {
        "id": "t1",
        "question": "can men get metastatic breast cancer?",
        "expect": "answer",
        "category": "in_scope",
        "evidence": [{"doc": "003", "text": "Men can also be diagnosed with metastatic breast cancer."}],
    },
    {
        "id": "t2",
        "question": "what does de novo metastatic mean?",
        "expect": "answer",
        "category": "in_scope",
        "evidence": [
            {"doc": "001", "text": "Some people have  metastatic breast cancer\nwhen they are first diagnosed"}
        ],
    },
    {"id": "t3", "question": "Who won the 2018 World Cup?", "expect": "refuse", "category": "off_domain"},
    {"id": "t4", "question": "my chest hurts and i cant breathe", "expect": "urgent", "category": "urgent"},
]


def test_the_evaluator_reports_its_figures_on_a_tiny_labelled_file(bot, tmp_path):
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in TINY) + "\n", encoding="utf-8")
    report = evaluation.evaluate(path, bot)
    data = report.to_dict()
    assert set(data) >= {"overall", "by_category", "misses", "index_version", "questions"}
    assert data["questions"] == 4 and data["index_version"] == bot.index_version
    assert set(evaluation.FIGURES) <= set(data["overall"])
    overall = data["overall"]
    assert overall["hit_at_3"] == 1.0 and overall["correct_refusal_rate"] == 1.0 and overall["urgent_recall"] == 1.0
    assert overall["verbatim_rate"] == 1.0 and overall["false_refusal_rate"] == 0.0
    assert set(data["by_category"]) == {"in_scope", "off_domain", "urgent"}
    assert data["by_category"]["off_domain"]["hit_at_1"] is None
    assert any("ignoring white space" in note for note in report.notes)  # t2's gold is not verbatim
    text = evaluation.format_report(report, misses=True)
    for figure in evaluation.FIGURES:
        assert figure in text
    assert "Misses (" in text


def test_the_evaluator_counts_a_miss(bot, tmp_path):
    wrong = {**TINY[0], "id": "w1", "evidence": [{"doc": "000", "text": "Patient stories"}]}
    path = tmp_path / "wrong.jsonl"
    path.write_text(json.dumps(wrong) + "\n" + json.dumps(TINY[2]) + "\n", encoding="utf-8")
    report = evaluation.evaluate(path, bot)
    assert report.overall["hit_at_3"] == 0.0
    assert [miss["id"] for miss in report.misses] == ["w1"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "holds no questions"),
        ("not json\n", "line 1 is not a labelled question"),
        ('{"question": "q", "expect": "maybe"}\n', "expect must be one of"),
    ],
)
def test_a_bad_evaluation_file_is_named(tmp_path, content, problem, capsys, served):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    assert evaluation.main([str(path)]) == 2
    assert problem in capsys.readouterr().err


def test_the_evaluation_cli_prints_the_table(served, tmp_path, capsys):
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in TINY) + "\n", encoding="utf-8")
    assert evaluation.main([str(path), "--misses"]) == 0
    out = capsys.readouterr().out
    assert "hit_at_3" in out and "latency_p95_ms" in out
    assert evaluation.main([str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["questions"] == 4
