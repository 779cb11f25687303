"""The answering pipeline: checks, then one embedding, retrieval, quotes and the refusal decision."""

from __future__ import annotations

from ask import scope
from ask.answer import ANSWERED, REFUSED, URGENT, Answer, Quote
from ask.followup import resolve
from ask.guard import REQUESTS_FILE, URGENT_FILE, PatternGroup, clean_input, first_match, load_groups
from ask.history import safe_history
from ask.lexicon import Lexicon, load_lexicon
from ask.messages import Messages, load_messages
from ask.quotes import QuoteSelector, Span
from ask.retrieve import Query, Retriever
from index import (
    MODEL_NAME,
    Embedder,
    Index,
    IndexCorruptError,
    Settings,
    lexical_settings,
    load_embedder,
    settings_from_env,
)
from index import load as load_index
from index.errors import REBUILD_HINT


class Bot:
    """Answers questions from one loaded index.

    >>> bot = load()
    >>> answer = bot.ask("what are the symptoms of bone mets?")
    >>> answer.status, [q.publisher for q in answer.quotes]
    """

    def __init__(
        self,
        index: Index,
        embedder: Embedder,
        *,
        messages: Messages | None = None,
        lexicon: Lexicon | None = None,
        urgent: tuple[PatternGroup, ...] | None = None,
        requests: tuple[PatternGroup, ...] | None = None,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.messages = messages or load_messages()
        self.lexicon = lexicon or load_lexicon()
        self.urgent = urgent if urgent is not None else load_groups(URGENT_FILE)
        self.requests = requests if requests is not None else load_groups(REQUESTS_FILE)
        self.retriever = Retriever(index, self.lexicon)
        self.selector = QuoteSelector(self.retriever)

    @property
    def index_version(self) -> str:
        return self.index.version

    def ask(self, question: object, history: list | None = None) -> Answer:
        """Answer ``question`` (with the earlier turns in ``history``); never raises on bad input."""
        shown = question if isinstance(question, str) else ""
        text, problem = clean_input(question)
        if problem is not None:
            message = getattr(self.messages, problem.message).format(**problem.values)
            return self._answer(shown, REFUSED, message, reason=f"input: {problem.message}")
        urgent = first_match(self.urgent, text)
        if urgent is not None:
            return self._answer(text, URGENT, getattr(self.messages, urgent.message), reason=f"urgent: {urgent.name}")
        request = first_match(self.requests, text)
        if request is not None:
            return self._answer(
                text, REFUSED, getattr(self.messages, request.message), reason=f"request: {request.name}"
            )
        searched = resolve(text, safe_history(history), self.lexicon)
        return self._search(text, searched)

    def _search(self, question: str, searched: str) -> Answer:
        lexicon = self.lexicon
        query = self.retriever.query(searched)
        reason = scope.other_cancer(searched, lexicon) or scope.uncovered_subject(query, lexicon)
        if reason:
            return self._refuse(question, reason)
        scores = self.retriever.score(query, self.embedder.embed_one(searched))
        spans = self.selector.candidates(scores)
        if not spans:
            return self._refuse(question, "no quotable sentence")
        stages = scope.early_stage_only(searched, lexicon)
        if stages:
            spans = [s for s in spans if scope.about_stage(self.retriever, query, s.sentences, stages)]
            if not spans:
                return self._refuse(question, f"no quote is about {', '.join(sorted(stages))}")
        objects = scope.sign_objects(query.text, lexicon)
        if objects:
            spans = [s for s in spans if scope.about_object(self.retriever.span_context(s.sentences), objects)]
            if not spans:
                return self._refuse(question, "no quote is about what the signs are asked of")
        site = scope.spread_site(query.text, lexicon)
        # A gate, not a filter: when the pages say it spreads there, the best quotes stand as they are
        # (a quote on bone pain answers a question on the spine).
        if site and not any(scope.names_spread_site(self.retriever, s.sentences, site) for s in spans):
            return self._refuse(question, "no quote is about the place the question names")
        best_dense = scores.best_quotable_dense()
        subject = self.retriever.coverage(query, self.retriever.span_context(spans[0].sentences), subject_only=True)
        reason = scope.weak_evidence(best_dense, spans[0].score, subject)
        if reason:
            return self._refuse(question, reason)
        if scope.asks_for_number(searched, lexicon):
            spans = self._with_numbers(spans, query)
            if not spans:
                return self._refuse(question, "the question asks for a number and no close quote gives one")
        chosen = self.selector.select(self._on_the_same_point(spans, query))
        quotes = tuple(self._quote(span) for span in chosen)
        return self._answer(question, ANSWERED, self.messages.answered, quotes=quotes, reason="answered")

    def _on_the_same_point(self, spans: list[Span], query: Query) -> list[Span]:
        """The best span, and the others that do not match on a side word instead of what the best one holds.

        A further quote holding none of the question's words the best quote holds, but a subject word
        it lacks ("secondary" in "secondary tumors" for a question about radiotherapy for secondary
        cancer), is close in score, not in what it answers.
        """
        retriever = self.retriever
        best = retriever.span_context(spans[0].sentences)
        covered = [alternatives for _, alternatives in query.key_terms.values() if alternatives & best]
        if not covered:
            return spans
        side = [query.key_terms[t][1] for t in query.subject_terms if not query.key_terms[t][1] & best]
        kept = [spans[0]]
        for span in spans[1:]:
            context = retriever.span_context(span.sentences)
            if any(a & context for a in covered) or not any(a & context for a in side):
                kept.append(span)
        return kept

    def _with_numbers(self, spans: list[Span], query: Query) -> list[Span]:
        """The spans that give a number and are close enough to the best one to answer "how many"."""
        best = spans[0].score
        kept = []
        for span in spans:
            subject = self.retriever.coverage(query, self.retriever.span_context(span.sentences), subject_only=True)
            if scope.has_number(self._text(span)) and scope.close_enough_for_a_number(span.score, best, subject):
                kept.append(span)
        return kept

    def _text(self, span: Span) -> str:
        return self.index.texts[span.doc_id][span.start : span.end]

    def _quote(self, span: Span) -> Quote:
        page = self.index.page(span.doc_id)
        return Quote(
            text=self._text(span),
            doc_id=span.doc_id,
            path=page.path,
            title=page.title,
            publisher=page.publisher,
            url=page.url,
            start=span.start,
            end=span.end,
            score=span.score,
        )

    def _refuse(self, question: str, reason: str) -> Answer:
        return self._answer(question, REFUSED, self.messages.refused, reason=f"refused: {reason}")

    def _answer(self, question: str, status: str, message: str, *, quotes=(), reason: str = "") -> Answer:
        return Answer(question, status, message, self.index.version, tuple(quotes), reason)


def load(settings: Settings | None = None) -> Bot:
    """Load the served index, the embedding model and the prompts once; return a ``Bot``.

    Raises ``IndexMissingError`` or ``IndexCorruptError`` (messages name the rebuild command),
    ``ModelError`` or ``PromptError``.
    """
    return Bot(answerable_index(settings), load_embedder())


def answerable_index(settings: Settings | None = None) -> Index:
    """The served index, checked to be one this code can answer from.

    Quick next to the model: a fraction of a second for today's pages, under one at 1M passages.
    Raises ``IndexMissingError`` or ``IndexCorruptError``; their messages name the rebuild command.
    """
    settings = settings or settings_from_env()
    index = load_index(settings.index_dir)
    if index.manifest.model != MODEL_NAME:
        raise IndexCorruptError(
            f"The index in {settings.index_dir} was built with {index.manifest.model}, not {MODEL_NAME}. "
            f"{REBUILD_HINT} --full"
        )
    if index.manifest.lexical != lexical_settings():
        # Questions are cut into terms by this code's analyser; the index's terms must match them.
        raise IndexCorruptError(
            f"The index in {settings.index_dir} was built with other lexical settings ({index.manifest.lexical}). "
            f"{REBUILD_HINT} --full"
        )
    return index
