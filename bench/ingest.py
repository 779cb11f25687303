"""Ingest cost on the real corpus: a full build, then re-indexing after one page changes.

    python -m bench.ingest            # full build; on three pages an edit, then a rewrite; a no-op update
    python -m bench.ingest --quick    # full build; one page's edit and rewrite

Two kinds of one-page change, one page at a time:

- a typical edit: one sentence added to a paragraph in the middle of the page. The
  paragraph's sentences and the passages holding it are new text; everything else on
  the page keeps its vector.
- a whole-page rewrite: every sentence of the page changed (here: upper-cased), so the
  page keeps its size and shape but no passage or sentence text is reused.

Everything happens in a temporary copy of corpus/ and a temporary index folder. The
model is loaded (and timed) first, so the build figures exclude it; a build run by
``python -m ingest`` pays the model load on top when something needs embedding.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from bench.measure import machine, peak_rss_mb, rss_mb, table
from embedding import load_embedder
from settings import REPO_ROOT, Settings

# The sentence a typical edit adds to one paragraph.
ADDED_SENTENCE = " Your care team can tell you more about this (edit {n} by the ingest benchmark)."


def edit_one_paragraph(page: Path, n: int) -> None:
    """Add one sentence to the paragraph at the middle of the page, as an editor's typical edit."""
    lines = page.read_text(encoding="utf-8").split("\n")
    paragraphs = [i for i, line in enumerate(lines) if line.rstrip().endswith(".")]
    middle = paragraphs[len(paragraphs) // 2]
    lines[middle] = lines[middle].rstrip() + ADDED_SENTENCE.format(n=n)
    page.write_text("\n".join(lines), encoding="utf-8")


def rewrite_page(page: Path) -> None:
    """Change every sentence of the page, keeping its passages and sentences as many and as long."""
    page.write_text(page.read_text(encoding="utf-8").upper(), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one one-page change, no no-op update")
    args = parser.parse_args(argv)
    from ingest import build

    print(f"Machine: {machine()}", flush=True)
    rss_before_model = rss_mb()
    started = time.perf_counter()
    load_embedder()
    model_seconds = time.perf_counter() - started
    model_mb = rss_mb() - rss_before_model

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as workdir:
        corpus = Path(workdir) / "corpus"
        shutil.copytree(REPO_ROOT / "corpus", corpus)
        settings = Settings(corpus_dir=corpus, index_dir=Path(workdir) / "index", audit_enabled=False)

        def run(label: str, **options) -> None:
            report = build(settings, **options)
            embedded = report.passages_embedded + report.sentences_embedded
            rate = embedded / report.embed_seconds if report.embed_seconds else 0.0
            rows.append(
                [
                    label,
                    report.seconds,
                    report.embed_seconds,
                    report.passages_embedded,
                    report.sentences_embedded,
                    report.vectors_reused,
                    rate,
                ]
            )

        run("full build (5 pages)", full=True)
        pages = sorted(corpus.glob("*.txt"))
        for n, page in enumerate(pages[: 1 if args.quick else 3], start=1):
            edit_one_paragraph(page, n)
            run(f"one paragraph edited: {page.stem}")
        for page in pages[-1 if args.quick else -3 :]:
            rewrite_page(page)
            run(f"whole page rewritten: {page.stem}")
        if not args.quick:
            run("nothing changed")

    print(f"\nModel load: {model_seconds:.2f} s, +{model_mb:.0f} MB resident (not included below).")
    headers = ["build", "total s", "embed s", "passages embedded", "sentences embedded", "vectors kept", "texts/s"]
    print(table(headers, rows))
    print(
        "\nA paragraph edit adds one sentence to the middle paragraph of a page; a rewrite changes every sentence "
        "of a page (upper-cases it). Target: one page changed re-indexes in <= 3 s, model load excluded."
    )
    print(f"\nPeak resident memory of this process (model, corpus, builds): {peak_rss_mb():.0f} MB.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
