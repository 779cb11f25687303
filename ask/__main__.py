"""Ask a question from the command line.

    python -m ask "where does breast cancer spread to?"      # a readable answer with citations
    python -m ask --json "is stage 4 curable?"                # one JSON object
    python -m ask --jsonl < questions.jsonl                   # one JSON object per input line

With ``--jsonl`` each input line is a question as plain text, or a JSON object with
``question`` and optional ``history``; the model and index are loaded once. Exit code 0
on success, 1 when the index or model cannot be used (the message says how to fix it),
2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap

from index.errors import ChatbotError


def format_answer(answer) -> str:
    """The answer as a patient would read it: the message, then each quote and its source."""
    lines = [textwrap.fill(answer.message, 100), ""]
    for number, quote in enumerate(answer.quotes, start=1):
        lines.append(f"[{number}] “{quote.text}”")
        source = f"    {quote.publisher}, “{quote.title}” ({quote.path}, characters {quote.start}-{quote.end})"
        lines.append(source)
        if quote.url:
            lines.append(f"    {quote.url}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _parse_line(line: str) -> tuple[object, list | None]:
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            row = json.loads(stripped)
        except ValueError:
            return line.rstrip("\r\n"), None
        if isinstance(row, dict):
            history = row.get("history")
            return row.get("question"), history if isinstance(history, list) else None
    return line.rstrip("\r\n"), None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ask",
        description="Answer a question about metastatic breast cancer with verbatim, cited quotes.",
        epilog='Example: python -m ask "what are the symptoms of bone mets?"',
    )
    parser.add_argument("question", nargs="?", help="the question (omit with --jsonl)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    output.add_argument("--jsonl", action="store_true", help="answer stdin, one question per line, as JSON lines")
    args = parser.parse_args(argv)
    if args.jsonl and args.question is not None:
        parser.error("--jsonl reads questions from stdin; do not also give one as an argument")
    if not args.jsonl and args.question is None:
        parser.error("give a question, or use --jsonl to read them from stdin")
    try:
        from ask import load

        bot = load()
        if args.jsonl:
            for line in sys.stdin:
                question, history = _parse_line(line)
                print(json.dumps(bot.ask(question, history).to_dict(), ensure_ascii=False), flush=True)
            return 0
        answer = bot.ask(args.question)
    except ChatbotError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2) if args.json else format_answer(answer), end="")
    if args.json:
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
