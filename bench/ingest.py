"""Ingest cost on the real corpus: a full build, then re-indexing after one page changes.

    python -m bench.ingest            # full build, three one-page changes, one no-op update
    python -m bench.ingest --quick    # full build and one one-page change

Everything happens in a temporary copy of corpus/ and a temporary index folder. The
model is loaded (and timed) first, so the build figures exclude it; a build run by
``python -m ingest`` pays the model load on top.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from bench.measure import machine, peak_rss_mb, rss_mb, table
from index import Settings, load_embedder
from index.settings import REPO_ROOT

# Appended to a page to change it; a new paragraph, as an editor would add.
EDIT = "\n\nThis paragraph was added by the ingest benchmark to change the page (run {n}).\n"


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
                    rate,
                    report.passages_embedded / report.embed_seconds if report.embed_seconds else 0.0,
                ]
            )

        run("full build (5 pages)", full=True)
        pages = sorted(corpus.glob("*.txt"))
        for n, page in enumerate(pages[: 1 if args.quick else 3], start=1):
            with open(page, "a", encoding="utf-8") as handle:
                handle.write(EDIT.format(n=n))
            run(f"one page changed: {page.stem}")
        if not args.quick:
            run("nothing changed")

    print(f"\nModel load: {model_seconds:.2f} s, +{model_mb:.0f} MB resident (not included below).")
    headers = ["build", "total s", "embed s", "passages", "sentences", "texts/s", "passages/s"]
    print(table(headers, rows))
    print(f"\nPeak resident memory of this process (model, corpus, builds): {peak_rss_mb():.0f} MB.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
