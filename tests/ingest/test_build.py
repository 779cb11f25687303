"""Building the index from the real corpus with the real model: exact offsets, increments, removal."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import index
from embedding import MODEL_NAME, load_embedder
from ingest import build, read_corpus
from settings import REPO_ROOT, Settings, settings_from_env

pytestmark = pytest.mark.slow
SHARED_CORPUS = REPO_ROOT.parent / "shared" / "corpus"


@pytest.fixture
def working_index(built_index_dir: Path, corpus_copy: Path, tmp_path: Path, monkeypatch) -> Settings:
    """A writable copy of the session's index, synced to a writable copy of the corpus."""
    index_dir = tmp_path / "index"
    shutil.copytree(built_index_dir, index_dir)
    monkeypatch.setenv("MBC_INDEX_DIR", str(index_dir))
    settings = settings_from_env()
    build(settings)  # the copy's paths differ from corpus/, so this only rewrites page details
    return settings


def test_every_passage_sentence_and_block_is_an_exact_span(built_index_dir: Path):
    loaded = index.load(built_index_dir)
    assert loaded.passages and loaded.sentences and loaded.blocks
    for passage in loaded.passages:
        assert loaded.texts[passage.doc_id][passage.start : passage.end] == passage.text
    for unit in [*loaded.sentences, *loaded.blocks]:
        span = loaded.texts[unit.doc_id][unit.start : unit.end]
        assert span and span == span.strip()
    for sentence in loaded.sentences:
        block = loaded.blocks[sentence.block]
        assert block.doc_id == sentence.doc_id and block.start <= sentence.start < sentence.end <= block.end


def test_canonical_texts_are_the_files_unchanged(built_index_dir: Path):
    loaded = index.load(built_index_dir)
    assert {page.path for page in loaded.manifest.pages} == {
        f"corpus/{p.name}" for p in (REPO_ROOT / "corpus").glob("*.txt")
    }
    for page in loaded.manifest.pages:
        assert loaded.texts[page.doc_id] == (REPO_ROOT / page.path).read_bytes().decode("utf-8")
    if SHARED_CORPUS.is_dir():
        for file in SHARED_CORPUS.glob("*.txt"):
            assert (REPO_ROOT / "corpus" / file.name).read_bytes() == file.read_bytes()


def test_manifest_records_how_the_index_was_built(built_index_dir: Path):
    manifest = index.read_manifest(built_index_dir)
    assert manifest.model == MODEL_NAME and manifest.dimension == 384
    assert manifest.splitter["name"] == "RecursiveCharacterTextSplitter"
    assert manifest.faiss_index["kind"] == "flat"
    komen = manifest.page("susan-g-komen")
    assert (komen.publisher, komen.seed, komen.url) == (
        "Susan G. Komen",
        "004",
        "http://ww5.komen.org/Content.aspx?id=19327354391",
    )
    assert sum(page.passage_count for page in manifest.pages) == manifest.passage_count


def test_nothing_changed_means_up_to_date_and_no_new_version(working_index: Settings):
    before = index.list_versions(working_index.index_dir)
    report = build(working_index)
    assert report.up_to_date and report.passages_embedded == 0
    assert index.list_versions(working_index.index_dir) == before
    assert "Index is up to date" in report.summary()


def test_one_changed_page_is_the_only_one_embedded_again(working_index: Settings, corpus_copy: Path):
    old = index.load(working_index.index_dir)
    page = corpus_copy / "penn-medicine.txt"
    page.write_text(
        page.read_text(encoding="utf-8") + "\nA new closing paragraph about support groups.\n", encoding="utf-8"
    )

    report = build(working_index)

    new = index.load(working_index.index_dir)
    assert report.changed == ["penn-medicine"] and not report.added and not report.removed
    assert sorted(report.unchanged) == ["aurora-health-care", "breastcancer-org", "medical-news-today", "susan-g-komen"]
    # Only text the served index lacks is embedded: the new paragraph and the passage holding it.
    known = _indexed_texts(old)
    passages = [p.text for p in new.passages if p.doc_id == "penn-medicine"]
    sentences = [_text(new, s) for s in new.sentences if s.doc_id == "penn-medicine"]
    fresh_passages = {text for text in passages if text not in known}
    fresh_sentences = {text for text in sentences if text not in known and text not in fresh_passages}
    assert report.passages_embedded == len(fresh_passages) >= 1
    assert report.sentences_embedded == len(fresh_sentences)
    assert report.vectors_reused == sum(text in known for text in passages + sentences)
    assert report.passages_embedded + report.sentences_embedded <= 3 < report.vectors_reused
    assert "support groups" in new.texts["penn-medicine"]
    # Unchanged pages keep their vectors, row for row.
    for doc_id in report.unchanged:
        old_rows = [p.id for p in old.passages if p.doc_id == doc_id]
        new_rows = [p.id for p in new.passages if p.doc_id == doc_id]
        np.testing.assert_array_equal(old.passage_vectors[old_rows], new.passage_vectors[new_rows])
        assert new.page(doc_id).changed_at == old.page(doc_id).changed_at
    assert "changed:   penn-medicine" in report.summary()


def test_kept_and_fresh_vectors_of_a_changed_page_are_its_texts_embedded_now(
    working_index: Settings, corpus_copy: Path
):
    page = corpus_copy / "susan-g-komen.txt"
    lines = page.read_text(encoding="utf-8").split("\n")
    paragraphs = [i for i, line in enumerate(lines) if line.endswith(".")]
    lines[paragraphs[len(paragraphs) // 2]] += " Ask your care team what this means for you."
    page.write_text("\n".join(lines), encoding="utf-8")

    report = build(working_index)

    new = index.load(working_index.index_dir)
    rows = [p.id for p in new.passages if p.doc_id == "susan-g-komen"]
    sentence_rows = [s.id for s in new.sentences if s.doc_id == "susan-g-komen"]
    assert report.changed == ["susan-g-komen"] and report.vectors_reused > 0
    embedder = load_embedder()
    np.testing.assert_allclose(
        new.passage_vectors[rows], embedder.embed([new.passages[i].text for i in rows]), atol=1e-6
    )
    np.testing.assert_allclose(
        new.sentence_vectors[sentence_rows],
        embedder.embed([_text(new, new.sentences[i]) for i in sentence_rows]),
        atol=1e-6,
    )


def test_a_sentence_that_is_also_a_passage_is_embedded_once(working_index: Settings, corpus_copy: Path):
    (corpus_copy / "living-well.md").write_text("Gentle exercise can help with tiredness.\n", encoding="utf-8")
    report = build(working_index)
    assert report.added == ["living-well"]
    assert (report.passages_embedded, report.sentences_embedded, report.vectors_reused) == (1, 0, 0)
    loaded = index.load(working_index.index_dir)
    (passage,) = [p for p in loaded.passages if p.doc_id == "living-well"]
    (sentence,) = [s for s in loaded.sentences if s.doc_id == "living-well"]
    np.testing.assert_array_equal(loaded.passage_vectors[passage.id], loaded.sentence_vectors[sentence.id])


def test_a_removed_page_loses_all_its_passages(working_index: Settings, corpus_copy: Path):
    (corpus_copy / "aurora-health-care.txt").unlink()
    sources = json.loads((corpus_copy / "sources.json").read_text(encoding="utf-8"))
    (corpus_copy / "sources.json").write_text(
        json.dumps([s for s in sources if s["file"] != "aurora-health-care.txt"]), encoding="utf-8"
    )
    report = build(working_index)
    loaded = index.load(working_index.index_dir)
    assert report.removed == ["aurora-health-care"] and report.passages_embedded == 0
    assert all(p.doc_id != "aurora-health-care" for p in loaded.passages)
    assert all(s.doc_id != "aurora-health-care" for s in loaded.sentences)
    assert "aurora-health-care" not in loaded.texts


def test_a_page_without_a_manifest_entry_is_indexed_with_a_warning(working_index: Settings, corpus_copy: Path):
    (corpus_copy / "living-well.md").write_text(
        "# Living well\n\nGentle exercise can help with tiredness.\n", encoding="utf-8"
    )
    report = build(working_index)
    assert report.added == ["living-well"] and report.passages_embedded >= 1
    assert any("living-well.md has no entry in sources.json" in w for w in report.warnings)
    page = index.load(working_index.index_dir).page("living-well")
    assert page.title == "living-well.md" and page.url is None


def test_an_html_page_is_indexed_by_its_main_text(working_index: Settings, corpus_copy: Path):
    (corpus_copy / "support.html").write_text(
        "<html><head><title>Support</title><script>var tracking = 1;</script></head><body>"
        "<nav><a href='/'>Home</a> | <a href='/donate'>Donate</a></nav>"
        "<article><h1>Finding support</h1><p>Support groups let people with metastatic breast cancer share "
        "their experience with others who understand what they are going through.</p>"
        "<p>Many hospitals run groups for partners and carers as well, and some meet online.</p></article>"
        "<footer>Copyright 2026</footer></body></html>",
        encoding="utf-8",
    )
    build(working_index)
    text = index.load(working_index.index_dir).texts["support"]
    assert "Support groups let people with metastatic breast cancer" in text
    assert "tracking" not in text and "Donate" not in text


def test_full_rebuild_embeds_every_page(working_index: Settings):
    report = build(working_index, full=True)
    assert report.full and len(report.added) == 5
    assert report.passages_embedded == index.read_manifest(working_index.index_dir).passage_count


def _edit_served_manifest(settings: Settings, change) -> None:
    path = settings.index_dir / "versions" / index.current_version(settings.index_dir) / "manifest.json"
    path.write_text(json.dumps(change(json.loads(path.read_text(encoding="utf-8")))), encoding="utf-8")


@pytest.mark.parametrize(
    "change",
    [
        lambda manifest: {**manifest, "lexical": {**manifest["lexical"], "analyzer": "index.text v0"}},
        lambda manifest: {**manifest, "format_version": 1},
    ],
    ids=["another analyzer", "an older format"],
)
def test_an_index_built_another_way_is_rebuilt_in_full(working_index: Settings, change):
    _edit_served_manifest(working_index, change)
    report = build(working_index)
    assert report.full and len(report.added) == 5 and report.warnings
    loaded = index.load(working_index.index_dir)
    assert loaded.manifest.lexical == index.lexical_settings()
    assert loaded.lexical.size == len(loaded.sentences)


def test_read_corpus_warns_nothing_for_the_real_corpus():
    corpus = read_corpus(REPO_ROOT / "corpus")
    assert len(corpus.pages) == 5 and corpus.warnings == ()


def _text(loaded: index.Index, sentence: index.Sentence) -> str:
    return loaded.texts[sentence.doc_id][sentence.start : sentence.end]


def _indexed_texts(loaded: index.Index) -> set[str]:
    """Every passage and sentence text of an index version."""
    return {p.text for p in loaded.passages} | {_text(loaded, s) for s in loaded.sentences}
