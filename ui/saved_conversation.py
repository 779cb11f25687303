""" "Save this conversation": one self-contained HTML page to print or keep, for the next appointment.

It holds the questions, the quotes with their sources, links and page dates, the other pages that
say the same, the date it was saved and the not-medical-advice line. It prints on A4 and on
Letter alike (``@page`` margins only, no fixed width), with no script and no outside file, so it
opens the same anywhere. Every text from a question or a page is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from datetime import datetime

from ask import ANSWERED
from ui.quote_sources import date_line, long_date

NOT_ADVICE = (
    "This is not medical advice. These are general information pages, quoted word for word: "
    "your care team knows you best, so please ask them about anything that worries you."
)

STYLE = """
@page { margin: 16mm 15mm; }
* { box-sizing: border-box; }
body { font-family: Georgia, 'Times New Roman', serif; font-size: 12pt; line-height: 1.5; color: #111;
  margin: 0 auto; max-width: 46rem; padding: 1.5rem; }
h1 { font-size: 18pt; margin: 0 0 0.3rem 0; line-height: 1.25; }
.meta, .advice { margin: 0 0 0.6rem 0; }
.advice { font-weight: bold; border: 1px solid #555; padding: 0.4rem 0.6rem; }
.turn { margin: 1.2rem 0 0 0; }
.turn h2 { font-size: 13pt; margin: 0 0 0.4rem 0; break-after: avoid; page-break-after: avoid; }
.said { margin: 0 0 0.5rem 0; white-space: pre-wrap; }
figure { margin: 0 0 0.8rem 0; break-inside: avoid; page-break-inside: avoid; }
blockquote { margin: 0; padding: 0.3rem 0.8rem; border-left: 3pt solid #555; white-space: pre-wrap;
  overflow-wrap: anywhere; }
figcaption, .also { font-size: 10.5pt; margin: 0.2rem 0 0 0.8rem; overflow-wrap: anywhere; }
.stale { font-weight: bold; }
a { color: #111; }
.url { font-family: monospace; font-size: 9.5pt; }
@media print { body { padding: 0; max-width: none; } }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _link(url: str | None) -> str:
    """An http(s) address, shown in full so it survives printing."""
    if not url or not url.startswith(("http://", "https://")):
        return ""
    return f' <a class="url" href="{_e(url)}">{_e(url)}</a>'


def _source(publisher: str, title: str, url: str | None) -> str:
    return f"{_e(publisher)}: <cite>{_e(title)}</cite>.{_link(url)}"


def _quote(number: int, quote: dict, facts: dict) -> str:
    when = date_line(facts)
    parts = [
        f"<figure><blockquote>{_e(quote['text'])}</blockquote>",
        f"<figcaption>[{number}] {_source(quote['publisher'], quote['title'], quote.get('url'))}",
    ]
    if when:
        parts.append(f" {_e(when)}.")
    if facts.get("out_of_date"):
        parts.append(' <span class="stale">This page may be out of date.</span>')
    parts.append("</figcaption>")
    for other in facts.get("also", []):
        if other.get("quoted_as"):
            parts.append(
                f'<p class="also">Quote [{other["quoted_as"]}] gives different figures: {_e(other["publisher"])}.</p>'
            )
            continue
        label = "Another page gives different figures" if other["figures_differ"] else "Also said by"
        parts.append(
            f'<p class="also">{label}: {_source(other["publisher"], other["title"], other.get("url"))} '
            f"&ldquo;{_e(other['text'])}&rdquo;</p>"
        )
    parts.append("</figure>")
    return "".join(parts)


def render(
    turns: Iterable, *, saved_at: datetime, title: str, message_of: Callable[[object], str] | None = None
) -> str:
    """The whole conversation as an HTML document; ``turns`` are ``app.Turn`` objects.

    ``message_of(turn)`` is what the page said for a turn in its own words (``app.shown_message``);
    an answer's opening that the conversation already said is not printed again.
    """
    said_before: set[str] = set()
    body = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="meta">Saved on {_e(long_date(saved_at.date()))} at {saved_at:%H:%M}.</p>',
        f'<p class="advice">{_e(NOT_ADVICE)}</p>',
    ]
    for number, turn in enumerate(turns, start=1):
        body.append(f'<section class="turn"><h2>Question {number}: {_e(turn.question)}</h2>')
        if turn.answer is None:
            body.append(f'<p class="said">{_e(turn.problem)}</p>')
        else:
            message = message_of(turn) if message_of else turn.answer["message"]
            if not (turn.answer["status"] == ANSWERED and message in said_before):
                body.append(f'<p class="said">{_e(message)}</p>')
            if turn.answer["status"] == ANSWERED:
                said_before.add(message)
            facts = turn.facts or [{} for _ in turn.answer["quotes"]]
            for quote_number, (quote, fact) in enumerate(zip(turn.answer["quotes"], facts, strict=False), start=1):
                body.append(_quote(quote_number, quote, fact))
        body.append("</section>")
    body.append(f'<p class="advice">{_e(NOT_ADVICE)}</p>')
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>" + "".join(body) + "</body></html>"
    )
