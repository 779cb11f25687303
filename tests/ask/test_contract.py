"""The answer contract other parts depend on: shape, types and invariants of every answer."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from ask import ANSWERED, REFUSED, URGENT, Answer, Quote
from evaluation import read_cases
from settings import REPO_ROOT

HELDOUT = Path(__file__).with_name("data") / "heldout.jsonl"

DEV_FILE = REPO_ROOT / "data" / "dev.jsonl"
QUESTIONS = [case.question for case in read_cases(HELDOUT)] + ([case.question for case in read_cases(DEV_FILE)])
QUOTE_KEYS = {
    "text": str,
    "doc_id": str,
    "path": str,
    "title": str,
    "publisher": str,
    "url": (str, type(None)),
    "start": int,
    "end": int,
    "score": float,
}


def test_an_answer_has_exactly_the_contract_keys_and_types(bot):
    data = bot.ask("where does breast cancer usually spread to?").to_dict()
    assert set(data) == {"question", "status", "message", "quotes", "index_version"}
    assert data["status"] == ANSWERED
    assert isinstance(data["message"], str) and data["message"]
    assert data["index_version"] == bot.index_version
    assert data["quotes"]
    for quote in data["quotes"]:
        assert set(quote) == set(QUOTE_KEYS)
        for key, kind in QUOTE_KEYS.items():
            assert isinstance(quote[key], kind), key
        assert quote["path"].startswith("corpus/") and quote["path"].endswith(".txt")
    json.dumps(data)  # the whole answer is plain JSON


@pytest.mark.parametrize("question", QUESTIONS)
def test_every_answer_keeps_the_invariants(bot, question):
    answer = bot.ask(question)
    assert answer.status in (ANSWERED, REFUSED, URGENT)
    if answer.status != ANSWERED:
        assert answer.quotes == ()
        return
    assert 1 <= len(answer.quotes) <= 4
    for quote in answer.quotes:
        page = (REPO_ROOT / quote.path).read_text(encoding="utf-8")
        assert page[quote.start : quote.end] == quote.text  # verbatim against the file itself
        assert bot.index.texts[quote.doc_id][quote.start : quote.end] == quote.text
        assert quote.text == quote.text.strip() and quote.text
    scores = [quote.score for quote in answer.quotes]
    assert scores == sorted(scores, reverse=True)
    spans = sorted((q.doc_id, q.start, q.end) for q in answer.quotes)
    for (doc_a, _, end_a), (doc_b, start_b, _) in itertools.pairwise(spans):
        assert doc_a != doc_b or end_a <= start_b, "two quotes overlap"


def test_a_refused_or_urgent_answer_cannot_carry_quotes():
    quote = Quote("text", "doc", "corpus/doc.txt", "Title", "Publisher", None, 0, 4, 0.5)
    for status in (REFUSED, URGENT):
        with pytest.raises(ValueError, match="has no quotes"):
            Answer("q", status, "message", "v1", (quote,))
    with pytest.raises(ValueError, match="answered, refused, urgent"):
        Answer("q", "maybe", "message", "v1")


def test_quotes_are_focused_not_chunks(bot):
    lengths = [len(q.text) for question in QUESTIONS[:30] for q in bot.ask(question).quotes]
    assert lengths
    assert sorted(lengths)[len(lengths) // 2] <= 350
    assert max(lengths) <= 900
