"""Build or update the index from corpus/.

Examples:
    python -m ingest              # update incrementally: only new or changed pages are embedded
    python -m ingest --full       # rebuild every page
    python -m ingest refresh      # fetch pages from their addresses, then re-index what changed

Settings come from the environment: MBC_CORPUS_DIR, MBC_INDEX_DIR (see index/settings.py).
"""

from __future__ import annotations

import argparse
import sys

from index import ChatbotError, settings_from_env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", nargs="?", choices=["build", "refresh"], default="build")
    parser.add_argument("--full", action="store_true", help="re-split and re-embed every page")
    parser.add_argument("--timeout", type=float, default=15.0, help="refresh: seconds to wait for each page")
    parser.add_argument("--quiet", action="store_true", help="print only the change report")
    args = parser.parse_args(argv)

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"… {message}", file=sys.stderr, flush=True)

    settings = settings_from_env()
    try:
        if args.command == "refresh":
            from ingest.refresh import refresh

            report = refresh(settings, timeout=args.timeout, progress=progress)
        else:
            from ingest.build import build

            report = build(settings, full=args.full, progress=progress)
    except ChatbotError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrupted: the index being served is unchanged.", file=sys.stderr)
        return 130
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
