"""What ``Bot.ask`` returns: an answer with its quotes, as small dataclasses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from audit import STATUSES, RecordedQuote

# The one list of statuses is the audit store's, which keeps every answer given.
ANSWERED, REFUSED, URGENT = STATUSES


@dataclass(frozen=True)
class Quote(RecordedQuote):
    """A verbatim span of one page: ``page_text[start:end] == text``; its fields are the ones the audit
    store keeps (``audit.RecordedQuote``)."""

    def to_dict(self) -> dict:
        return {**asdict(self), "score": round(float(self.score), 4)}


@dataclass(frozen=True)
class Answer:
    """One reply: quotes best first (answered), or none (refused, urgent).

    >>> answer = bot.ask("where does breast cancer spread?")
    >>> answer.status, answer.quotes[0].publisher
    """

    question: str
    status: str
    message: str
    index_version: str
    quotes: tuple[Quote, ...] = field(default_factory=tuple)
    reason: str = ""  # why this status was chosen, for the audit trail and --misses; not shown to patients
    evidence: object = field(default=None, compare=False)  # ask.decision.Evidence of an answer; not stored

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}, not {self.status!r}")
        if self.status != ANSWERED and self.quotes:
            raise ValueError(f"a {self.status} answer has no quotes")

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "status": self.status,
            "message": self.message,
            "quotes": [quote.to_dict() for quote in self.quotes],
            "index_version": self.index_version,
        }
