"""Agreement across pages, found at build time, read back through ``index.notes``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index import load, read_notes, stem
from ingest import build
from ingest.agreement import content_words, figures
from settings import Settings


def _rewrite_in_version(index_dir: Path, version: str, name: str, data: bytes | None) -> None:
    """Change (or, with None, remove) a file of a version, and its checksum in the manifest to match.

    Every file of a version is covered by the manifest's checksums (index format 3), so a test that
    imitates an older or differently written version changes the manifest with it.
    """
    import hashlib

    folder = index_dir / "versions" / version
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if data is None:
        (folder / name).unlink()
        manifest["checksums"].pop(name, None)
    else:
        (folder / name).write_bytes(data)
        manifest["checksums"][name] = hashlib.sha256(data).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _sentence_id(index, doc_id: str, startswith: str) -> int:
    for sentence in index.sentences:
        if sentence.doc_id == doc_id and index.sentence_text(sentence.id).startswith(startswith):
            return sentence.id
    raise AssertionError(f"no sentence of {doc_id} starts with {startswith!r}")


def test_the_real_pages_agree_on_the_same_fact_and_not_on_furniture(built_index_dir: Path):
    index = load(built_index_dir)
    notes = read_notes(index)
    penn = _sentence_id(index, "penn-medicine", "About 30 percent of early-stage breast cancers")
    echoes = notes.echoes([penn], exclude_doc="penn-medicine")
    said = {echo.doc_id: index.texts[echo.doc_id][echo.start : echo.end] for echo in echoes}
    assert said == {
        "breastcancer-org": "Nearly 30% of women diagnosed with early-stage breast cancer will develop metastatic disease.",
        "medical-news-today": "Nearly 30% of women diagnosed with early-stage breast cancer develop metastatic disease.",
    }
    assert not any(echo.figures_differ for echo in echoes)  # 30 and 30
    assert notes.rule is not None and notes.rule.threshold == 0.90 and notes.rule.min_shared_words == 2
    # "Learn more." / "Learn more here." are close in embedding (0.81) and share no content word.
    learn_more = [s.id for s in index.sentences if index.sentence_text(s.id).strip() == "Learn more."]
    assert learn_more and all(not notes.echoes([s]) for s in learn_more)
    assert notes.page_dates == {"susan-g-komen": "2014-05-02"}


def test_pages_giving_different_figures_for_the_same_fact_are_marked(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "one.txt").write_text(
        "Survival\n\nAbout 30 percent of women with metastatic breast cancer live at least five years after diagnosis.\n",
        encoding="utf-8",
    )
    (corpus / "two.txt").write_text(
        "Survival\n\nAbout 15 percent of women with metastatic breast cancer live at least five years after diagnosis.\n",
        encoding="utf-8",
    )
    sources = [
        {"file": "one.txt", "publisher": "One", "title": "One", "url": None, "updated": "2020-01-31"},
        {"file": "two.txt", "publisher": "Two", "title": "Two", "url": None, "updated": "not a date"},
    ]
    (corpus / "sources.json").write_text(json.dumps(sources), encoding="utf-8")
    build(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"))
    index = load(tmp_path / "index")
    notes = read_notes(index)
    one = _sentence_id(index, "one", "About 30 percent")
    [echo] = notes.echoes([one], exclude_doc="one")
    assert echo.doc_id == "two" and echo.figures_differ and echo.similarity >= 0.90
    assert notes.page_dates == {"one": "2020-01-31"}


def test_an_index_built_before_notes_gets_them_on_the_next_build(tmp_path: Path, built_index_dir: Path):
    import shutil

    copy = tmp_path / "index"
    shutil.copytree(built_index_dir, copy)
    version = (copy / "CURRENT").read_text().strip()
    for name in ("agreement.json", "page_dates.json", "captured.json"):
        _rewrite_in_version(copy, version, name, None)
    assert read_notes(load(copy)).pairs == {}  # an older version answers without notes
    assert load(copy).fallback_from is None  # and passes its integrity check
    report = build(Settings(index_dir=copy))
    assert report.version != version and report.passages_embedded == 0 and report.sentences_embedded == 0
    assert read_notes(load(copy)).pairs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("About 15 percent of women lived at least five years [2].", {"15", "5"}),
        ("Stage 4 breast cancer (stage IV) spreads.", set()),
        ("The average life expectancy is 18–24 months.", {"18", "24"}),
        ("In more than half of metastatic breast cancers", {"50%"}),
    ],
)
def test_figures(text: str, expected: set[str]):
    assert figures(text) == expected


def test_content_words_leave_out_the_words_every_page_repeats():
    assert content_words("Metastatic breast cancer most often spreads to the bones.") == {
        stem("spreads"),
        stem("bones"),
    }


def test_a_capture_date_stays_while_the_text_stays_even_through_a_full_rebuild(tmp_path: Path, built_index_dir: Path):
    import shutil

    from index import read_captured

    copy = tmp_path / "index"
    shutil.copytree(built_index_dir, copy)
    captured = read_captured(copy)
    assert set(captured) == set(load(copy).texts)
    version = (copy / "CURRENT").read_text().strip()
    old = {doc_id: {**entry, "date": "2020-02-02"} for doc_id, entry in captured.items()}
    old["penn-medicine"] = {**old["penn-medicine"], "text_sha256": "another text"}
    # as if captured in 2020, one page since changed
    _rewrite_in_version(copy, version, "captured.json", json.dumps(old).encode("utf-8"))
    build(Settings(index_dir=copy), full=True)
    notes = read_notes(load(copy))
    assert notes.captured["susan-g-komen"] == "2020-02-02"
    assert notes.captured["penn-medicine"] != "2020-02-02"


def test_the_notes_files_are_covered_by_the_version_checksums(tmp_path: Path, built_index_dir: Path):
    import shutil

    from errors import IndexIntegrityError
    from index import read_manifest, verify_version

    copy = tmp_path / "index"
    shutil.copytree(built_index_dir, copy)
    manifest = read_manifest(copy)
    assert {"agreement.json", "page_dates.json", "captured.json"} <= set(manifest.checksums)
    verify_version(copy, manifest)
    (copy / "versions" / manifest.version / "agreement.json").write_text("{}", encoding="utf-8")
    with pytest.raises(IndexIntegrityError, match=r"agreement\.json has changed since it was written"):
        verify_version(copy, manifest)
