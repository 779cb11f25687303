"""Answering: verbatim, cited quotes from the indexed pages, a kind refusal, or emergency help.

>>> from ask import load
>>> bot = load()
>>> bot.ask("what are the symptoms of liver mets?").to_dict()
"""

from ask.answer import ANSWERED, REFUSED, STATUSES, URGENT, Answer, Quote
from ask.bot import Bot, answerable_index, load

__all__ = ["ANSWERED", "REFUSED", "STATUSES", "URGENT", "Answer", "Bot", "Quote", "answerable_index", "load"]
