"""Answering: verbatim, cited quotes from the indexed pages, a kind refusal, or emergency help.

>>> from ask import load
>>> bot = load()
>>> bot.ask("what are the symptoms of liver mets?").to_dict()

``Bot`` runs the pipeline (``bot.py``): input checks and triage (``safety``), retrieval
(``retrieve.py``, with ``precedents.py``: the answers of similar training questions), quote building (``quotes.py``), follow-ups (``followup.py``) and the
answer-or-refuse decision (``decision.py``). ``Suggester`` offers the pages' own headings under a
refusal. The audit store (``audit.py``, ``staff_log.py``) still lives here until it has a package
of its own.
"""

from ask.answer import ANSWERED, REFUSED, STATUSES, URGENT, Answer, Quote
from ask.bot import Bot, answerable_index, load
from ask.decision import DECISION_FILE, Decision, Evidence, load_decision
from ask.followup import resolve
from ask.lexicon import LEXICON_FILE, Lexicon, load_lexicon
from ask.precedents import PRECEDENTS_FILE, Precedents, load_precedents
from ask.quotes import QuoteSelector
from ask.retrieve import LEXICAL_HITS, RANKER_FILE, Retriever, Weights
from ask.suggest import Suggester

__all__ = [
    "ANSWERED",
    "DECISION_FILE",
    "LEXICAL_HITS",
    "LEXICON_FILE",
    "PRECEDENTS_FILE",
    "RANKER_FILE",
    "REFUSED",
    "STATUSES",
    "URGENT",
    "Answer",
    "Bot",
    "Decision",
    "Evidence",
    "Lexicon",
    "Precedents",
    "Quote",
    "QuoteSelector",
    "Retriever",
    "Suggester",
    "Weights",
    "answerable_index",
    "load",
    "load_decision",
    "load_lexicon",
    "load_precedents",
    "resolve",
]
