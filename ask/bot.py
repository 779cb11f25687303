"""The answering pipeline: input checks, triage, then retrieval, quotes and the answer-or-refuse decision.

One model call embeds the message and its readings (``ask.triage``); triage routes emergencies,
declined requests and messages that need an earlier turn before anything is searched. A search
ends in one fitted decision (``ask.decision``) over the evidence of the best quote.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ask import scope
from ask.answer import ANSWERED, REFUSED, URGENT, Answer, Quote
from ask.decision import Decision, Evidence, load_decision
from ask.followup import previous_question, resolve
from ask.history import safe_history
from ask.lexicon import Lexicon, load_lexicon
from ask.precedents import Precedents
from ask.quotes import QuoteSelector, Span
from ask.retrieve import Query, Retriever, Scores, Weights
from embedding import MODEL_NAME, Embedder, load_embedder
from errors import REBUILD_HINT, IndexCorruptError
from index import Index, filled_from, lexical_settings
from index import load as load_index
from prompts import Messages, load_messages
from safety import (
    URGENT_FILE,
    PatternGroup,
    Triage,
    Verdict,
    clean_input,
    decline_message,
    first_match,
    load_groups,
    load_triage,
)
from settings import Settings, settings_from_env


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
        triage: Triage | None = None,
        decision: Decision | None = None,
        weights: Weights | None = None,
        precedents: Precedents | None = None,
        always_answer: bool = False,
    ) -> None:
        """``always_answer`` skips the decision (cross-validation records the evidence it would weigh)."""
        self.index = index
        self.embedder = embedder
        self.messages = messages or load_messages()
        self.lexicon = lexicon or load_lexicon()
        self.urgent = urgent if urgent is not None else load_groups(URGENT_FILE)
        self.triage = triage or load_triage()
        self.decision = None if always_answer else (decision or load_decision())
        self.retriever = Retriever(index, self.lexicon, weights, precedents)
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
        history = safe_history(history)  # None unless a list; text the model can always encode
        previous = previous_question(history)
        readings = self.triage.readings(text, previous)
        vectors = self._embed(readings)
        verdict = self.triage.verdict(readings, vectors, has_history=bool(previous))
        if verdict.sends_to_emergency_help:
            message = self.messages.urgent_self_harm if verdict.route == "self_harm" else self.messages.urgent_emergency
            return self._answer(text, URGENT, message, reason=f"urgent: {verdict.reason}")
        net = first_match(self.urgent, text)
        if net is not None:  # the patterns are a second net under the learned triage
            return self._answer(text, URGENT, getattr(self.messages, net.message), reason=f"urgent: pattern {net.name}")
        if verdict.route == "decline":
            message = self._with_safety_line(getattr(self.messages, decline_message(verdict.kind)), verdict)
            return self._answer(text, REFUSED, message, reason=f"request: {verdict.reason}")
        if verdict.route == "no_context":
            message = self._with_safety_line(self.messages.refused_no_context, verdict)
            return self._answer(text, REFUSED, message, reason="refused: no earlier turn")
        needs_context = verdict.no_context >= self.triage.thresholds.no_context
        searched = resolve(text, history, self.lexicon, needs_context=needs_context)
        vector = vectors[0] if searched == text else self.embedder.embed_one(searched)
        return self._search(text, searched, vector, verdict)

    def _embed(self, texts: list[str]) -> np.ndarray:
        if len(texts) == 1:  # a lone text joins other askers' questions in one batch
            return self.embedder.embed_one(texts[0])[None, :]
        return self.embedder.embed(texts)

    def _search(self, question: str, searched: str, vector: np.ndarray, verdict: Verdict) -> Answer:
        lexicon = self.lexicon
        query = self.retriever.query(searched)

        def refuse(reason: str) -> Answer:
            message = self._with_safety_line(self.messages.refused, verdict)
            return self._answer(question, REFUSED, message, reason=f"refused: {reason}")

        reason = scope.other_cancer(searched, lexicon)
        if reason:
            return refuse(reason)
        scores = self.retriever.score(query, vector)
        spans = self.selector.candidates(scores)
        if not spans:
            return refuse("no quotable sentence")
        stages = scope.early_stage_only(searched, lexicon)
        if stages:
            spans = [s for s in spans if scope.about_stage(self.retriever, query, s.sentences, stages)]
            if not spans:
                return refuse(f"no quote is about {', '.join(sorted(stages))}")
        objects = scope.sign_objects(query.text, lexicon)
        if objects:
            spans = [s for s in spans if scope.about_object(self.retriever.span_context(s.sentences), objects)]
            if not spans:
                return refuse("no quote is about what the signs are asked of")
        site = scope.spread_site(query.text, lexicon)
        # A gate, not a filter: when the pages say it spreads there, the best quotes stand as they are
        # (a quote on bone pain answers a question on the spine).
        if site and not any(scope.names_spread_site(self.retriever, s.sentences, site) for s in spans):
            return refuse("no quote is about the place the question names")
        if searched == question:  # it stands on its own: whether the pages answer it is read from it alone
            verdict = replace(
                verdict, answer_odds=verdict.answer_odds_alone, answer_odds_near=verdict.answer_odds_near_alone
            )
        evidence = self.evidence(verdict, query, scores, spans)
        if self.decision is not None:
            probability = self.decision.probability(evidence)
            if probability < self.decision.threshold:
                return refuse(f"the evidence does not answer it (p={probability:.2f})")
        if scope.asks_for_number(searched, lexicon):
            spans = self._with_numbers(spans, query)
            if not spans:
                return refuse("the question asks for a number and no close quote gives one")
        kept = self._on_the_same_point(spans, query)
        chosen = self.selector.select(
            kept, also_answers=lambda span: self._also_answers(span, kept, verdict, query, scores)
        )
        quotes = tuple(self._quote(span) for span in chosen)
        return self._answer(
            question, ANSWERED, self.messages.answered, quotes=quotes, reason="answered", evidence=evidence
        )

    def _also_answers(self, span: Span, spans: list[Span], verdict: Verdict, query: Query, scores: Scores) -> bool:
        """Whether the decision would answer with ``span`` as the best quote (always, without a decision)."""
        if self.decision is None:
            return True
        rest = spans[spans.index(span) :]
        return self.decision.answers(self.evidence(verdict, query, scores, rest, dense=scores.dense_of(span.sentences)))

    def evidence(
        self, verdict: Verdict, query: Query, scores: Scores, spans: list[Span], *, dense: float | None = None
    ) -> Evidence:
        """The signals the decision weighs for ``spans[0]``, the best quote (``dense``: its own cosine)."""
        retriever = self.retriever
        best = spans[0]
        runner_up = spans[1].score if len(spans) > 1 else best.score
        return Evidence(
            answer_odds=verdict.answer_odds,
            answer_odds_near=verdict.answer_odds_near,
            best_dense=scores.best_quotable_dense() if dense is None else dense,
            best_fused=best.score,
            runner_up_gap=best.score - runner_up,
            subject_coverage=retriever.coverage(query, retriever.span_context(best.sentences), subject_only=True),
            unknown_share=retriever.unknown_share(query),
            best_precedent=scores.precedent_of(best.sentences),
        )

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
        return filled_from(Quote, page, text=self._text(span), start=span.start, end=span.end, score=span.score)

    def _with_safety_line(self, message: str, verdict: Verdict) -> str:
        """A refusal of a symptom or distress message also says where urgent help is, so a missed
        emergency never ends at "ask your care team"."""
        return f"{message}\n\n{self.messages.safety_line}" if verdict.safety_line else message

    def _answer(
        self, question: str, status: str, message: str, *, quotes=(), reason: str = "", evidence=None
    ) -> Answer:
        return Answer(question, status, message, self.index.version, tuple(quotes), reason, evidence)


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
