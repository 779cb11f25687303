"""Build or update the index from corpus/, and refresh pages through a staged review.

Examples:
    python -m ingest              # update incrementally: only new or changed pages are embedded
    python -m ingest --full       # rebuild every page
    python -m ingest refresh      # fetch pages from their addresses into a staged candidate (nothing goes live)
    python -m ingest staged       # what the staged candidate changes, page by page, with diffs
    python -m ingest publish      # make the staged candidate live (add --approve DOC_ID for a held page)
    python -m ingest discard      # throw the staged candidate away

Settings come from the environment: MBC_CORPUS_DIR, MBC_INDEX_DIR, MBC_STAGE_DIR, MBC_HOLD_SHARE,
MBC_MAX_PAGE_BYTES, MBC_FETCH_TIMEOUT (see index/settings.py).
"""

from __future__ import annotations

import argparse
import sys

from errors import ChatbotError
from settings import settings_from_env

COMMANDS = ["build", "refresh", "staged", "publish", "discard"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", nargs="?", choices=COMMANDS, default="build")
    parser.add_argument("--full", action="store_true", help="build: re-split and re-embed every page")
    parser.add_argument("--timeout", type=float, default=None, help="refresh: seconds for each page's whole fetch")
    parser.add_argument(
        "--approve", action="append", default=[], metavar="DOC_ID", help="publish: accept a held page (repeatable)"
    )
    parser.add_argument("--quiet", action="store_true", help="print only the change report")
    args = parser.parse_args(argv)

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"… {message}", file=sys.stderr, flush=True)

    try:
        settings = settings_from_env()
        if args.command == "refresh":
            from ingest.refresh import refresh

            text = refresh(settings, timeout=args.timeout, progress=progress).summary()
        elif args.command == "staged":
            from ingest.stage import staged

            candidate = staged(settings)
            text = candidate.summary() if candidate else "Nothing is staged. Fetch pages with: python -m ingest refresh"
        elif args.command == "publish":
            from ingest.stage import publish

            text = publish(settings, approve=args.approve, progress=progress).summary()
        elif args.command == "discard":
            from ingest.stage import discard

            text = "Discarded the staged refresh." if discard(settings) else "Nothing was staged."
        else:
            from ingest.build import build

            text = build(settings, full=args.full, progress=progress).summary()
    except ChatbotError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted: the corpus and the index being served are unchanged.", file=sys.stderr)
        return 130
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
