"""Ask a question from the command line.

    python -m ask "where does breast cancer spread to?"      # a readable answer with citations
    python -m ask --json "is stage 4 curable?"                # one JSON object
    python -m ask --jsonl < questions.jsonl                   # one JSON object per input line

With ``--jsonl`` each input line is a question as plain text, or a JSON object with
``question`` and optional ``history``; the model and index are loaded once. A line that
cannot be read (not UTF-8, JSON nested too deeply) gets ``{"line": N, "error": "..."}`` and
the stream goes on. Exit code 0 on success, 1 when the index or model cannot be used (the
message says how to fix it), 2 on a usage error.

What is printed never carries terminal control characters (escape sequences in a page cannot
move the cursor or recolour the terminal), and only http(s) addresses are printed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from collections.abc import Iterator

from errors import ChatbotError

# C0 and C1 controls and DEL, except line feed and tab: what a terminal would act on.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Whole escape sequences (CSI such as colour or clear-screen, OSC such as a window title), removed first
# so that no "[2J" is left behind.
_SEQUENCES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x9b[0-?]*[ -/]*[@-~]")


def printable(text: object) -> str:
    """``text`` with terminal escape sequences and control characters removed."""
    return _CONTROLS.sub("", _SEQUENCES.sub("", str(text)))


def web_address(url: object) -> str | None:
    """``url`` when it is an http(s) address, else None (a ``javascript:`` address is never printed)."""
    if not isinstance(url, str) or _CONTROLS.search(url):
        return None
    return url if url.lower().startswith(("https://", "http://")) else None


def format_answer(answer) -> str:
    """The answer as a patient would read it: the message, then each quote and its source."""
    lines = [textwrap.fill(printable(answer.message), 100), ""]
    for number, quote in enumerate(answer.quotes, start=1):
        lines.append(f"[{number}] “{printable(quote.text)}”")
        source = (
            f"    {printable(quote.publisher)}, “{printable(quote.title)}” ({printable(quote.path)}, "
            f"characters {quote.start}-{quote.end})"
        )
        lines.append(source)
        if url := web_address(quote.url):
            lines.append(f"    {url}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def answer_object(answer) -> dict:
    """``answer.to_dict()`` with every address that is not http(s) removed."""
    data = answer.to_dict()
    for quote in data.get("quotes") or ():
        quote["url"] = web_address(quote.get("url"))
    return data


def _parse_line(line: str) -> tuple[object, list | None]:
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            row = json.loads(stripped)
        except RecursionError as exc:
            raise ValueError("it is JSON nested too deeply to read") from exc
        except ValueError:
            return line.rstrip("\r\n"), None
        if isinstance(row, dict):
            history = row.get("history")
            return row.get("question"), history if isinstance(history, list) else None
    return line.rstrip("\r\n"), None


def _input_lines(stream) -> Iterator[tuple[int, str | None, str]]:
    """``(number, text, problem)`` per line; bytes are decoded here, strictly, so one bad line is one error."""
    raw_lines = stream.buffer if hasattr(stream, "buffer") else None
    if raw_lines is None:
        for number, line in enumerate(stream, start=1):
            yield number, line, ""
        return
    for number, raw in enumerate(raw_lines, start=1):
        try:
            yield number, raw.decode("utf-8"), ""
        except UnicodeDecodeError as exc:
            yield number, None, f"it is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at position {exc.start})"


def _emit(data: dict, *, indent: int | None = None) -> None:
    """One JSON value on stdout, ASCII-escaped when stdout cannot take UTF-8."""
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    text = json.dumps(data, ensure_ascii=not encoding.startswith("utf"), indent=indent)
    # A lone surrogate (from a JSON escape in the input) cannot be written as UTF-8: escape it.
    sys.stdout.write(text.encode("utf-8", "backslashreplace").decode("utf-8") + "\n")
    sys.stdout.flush()


def _answer_lines(bot, stream) -> None:
    for number, line, problem in _input_lines(stream):
        if not problem:
            try:
                question, history = _parse_line(line)
                _emit(answer_object(bot.ask(question, history)))
                continue
            except (ChatbotError, ValueError, TypeError, RecursionError) as exc:
                problem = str(exc) or type(exc).__name__
        _emit({"line": number, "error": f"line {number} was not answered: {problem}"})


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
            _answer_lines(bot, sys.stdin)
            return 0
        answer = bot.ask(args.question)
    except ChatbotError as exc:
        print(f"Error: {printable(exc)}", file=sys.stderr)
        return 1
    if args.json:
        _emit(answer_object(answer), indent=2)
    else:
        text = format_answer(answer)
        sys.stdout.write(text.encode(sys.stdout.encoding or "utf-8", "replace").decode(sys.stdout.encoding or "utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
