"""Cross-validation and the fit of everything learned, on ``data/train.jsonl``.

Per fold (k=5, fixed seed, stratified by category and subtype): fine-tune the encoder on the
other folds, build the corpus's index with it, and run the real bot on the held-out messages with
triage and the decision switched off, recording the triage probabilities and the evidence the
decision would weigh. Those out-of-fold records are what the second level is fitted on: the
triage thresholds and the answer-or-refuse regression see the scores that new wordings get.

- ``cross_validate`` returns the out-of-fold records and, for the report of ``python -m learn cv``,
  the real bot's answers of each fold with a second level fitted on the other four folds' records:
  cross-validated at both levels.
- ``second_level`` fits triage's combiners and thresholds, and the decision, on records.
- ``fit_all`` fits the second level on every record, fine-tunes the encoder on every row,
  and writes ``models/*.json`` and ``var/model/``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ask import (
    DECISION_FILE,
    PRECEDENTS_FILE,
    RANKER_FILE,
    Answer,
    Bot,
    Decision,
    Evidence,
    Precedents,
    Weights,
    load_lexicon,
    resolve,
)
from embedding import ENCODER_FILE, Embedder, SentenceTransformerModel, fitted_model_id, model_name
from evaluation import Case, Outcome, locate_evidence, run_case
from learn.data import TRAIN_FILE, Row, file_sha256, read_rows
from learn.encoder import FineTuned, Recipe, fine_tune, load_fine_tuned, save
from learn.examples import examples_sha256, read_examples
from prompts import write_vectors
from safety import (
    EXEMPLARS_FILE,
    ROUTES,
    TRIAGE_FILE,
    URGENT_FILE,
    WORD_PATTERN,
    WORDS_FILE,
    Combiner,
    Exemplars,
    Head,
    Readings,
    Thresholds,
    Triage,
    Words,
    first_match,
    load_groups,
    logit,
)
from settings import REPO_ROOT, Settings

CORPUS_DIR = REPO_ROOT / "corpus"
FOLDS = 5
SEED = 0
NEVER = 2.0  # a threshold no probability reaches: that route is off while records are taken
# The urgent threshold catches all but this share of the training emergencies (out of fold). It is a
# trade, measured (docs/learning.md): 2 % instead of 1 % halves the calm messages sent to emergency
# help out of fold (3 % against 6 %) at the same recall there, but on a second author's wordings it
# catches 0.91-0.95 of the emergencies instead of 0.98. Recall comes first.
URGENT_MISSED = 0.01
NO_CONTEXT_FLOOR = 0.5
SAFETY_MARGIN = 0.5  # the safety line's threshold: this share of the lowest emergency probability seen
PROBES = (  # texts whose vectors identify a fine-tune: a refit must give the same ones
    "my legs went numb and I can't pass water",
    "what are the symptoms of bone metastases?",
    "write me a poem about hope",
)


# A record's ``Readings`` fields, as records files store them.
READINGS = ("urgent", "declinable", "urgent_near", "declinable_near", "urgent_words", "declinable_words")


@dataclass
class Record:
    """What the bot's parts said of one held-out message, before any second-level choice."""

    row: Row
    urgent: Readings  # the route head's emergency probability in each reading
    declinable: Readings  # and its decline probability
    urgent_near: Readings  # the share of emergencies among each reading's nearest exemplars
    declinable_near: Readings  # and of requests to decline
    urgent_words: Readings  # the word head's emergency probability in each reading
    declinable_words: Readings  # and its decline probability
    no_context: float
    kind: str  # the emergency kind the head ranks first
    pattern_urgent: str  # the urgent pattern group that matched, or ""
    answer: Answer | None  # the bot's answer with triage and the decision off (None when read from a file)
    gold: list  # gold character ranges in this fold's index
    evidence: Evidence | None  # None when the bot refused before weighing evidence
    candidates: tuple[np.ndarray, np.ndarray] | None = None  # answerable rows: (signals, overlaps gold) per sentence

    def to_dict(self, fold: int) -> dict:
        row = self.row
        return {
            "id": row.id,
            "fold": fold,
            "expect": row.expect,
            "category": row.category,
            "subtype": row.subtype,
            **{name: [round(float(p), 7) for p in getattr(self, name).as_tuple()] for name in READINGS},
            "no_context": round(float(self.no_context), 7),
            "kind": self.kind,
            "pattern_urgent": self.pattern_urgent,
            "evidence": None if self.evidence is None else [round(float(v), 6) for v in self.evidence.vector()],
        }


RECORDS_FILE = REPO_ROOT / "models" / "cv_records.jsonl"  # the out-of-fold records the second level is fitted on


def write_records(records: list[Record], fold_of: list[int], path: Path = RECORDS_FILE) -> None:
    lines = [json.dumps(r.to_dict(f), sort_keys=True) for r, f in zip(records, fold_of, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_records(path: Path = RECORDS_FILE) -> tuple[list[Record], list[int]]:
    """Records as ``write_records`` stored them: enough to refit and check the second level."""
    records, fold_of = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        row = Row(data["id"], "", data["expect"], data["category"], data["subtype"], (), ())
        evidence = None if data["evidence"] is None else Evidence(*data["evidence"])
        records.append(
            Record(
                row=row,
                **{name: Readings(*data[name]) for name in READINGS},
                no_context=data["no_context"],
                kind=data["kind"],
                pattern_urgent=data["pattern_urgent"],
                answer=None,
                gold=[],
                evidence=evidence,
            )
        )
        fold_of.append(int(data["fold"]))
    return records, fold_of


def folds(rows: list[Row], k: int = FOLDS, seed: int = SEED) -> list[np.ndarray]:
    """Held-out row numbers per fold, stratified by category and subtype."""
    from sklearn.model_selection import StratifiedKFold

    strata = [f"{r.category}/{r.subtype}" for r in rows]
    counts = {s: strata.count(s) for s in strata}
    strata = [s if counts[s] >= k else r.category for s, r in zip(strata, rows, strict=True)]
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return [test for _, test in splitter.split(np.zeros(len(rows)), strata)]


HEAD_C = 100.0  # inverse regularisation of triage's regressions (chosen on fold 1: sharper, not overfitted)


def _regression(vectors, labels: list[str], classes: tuple[str, ...], c: float = HEAD_C) -> Head:
    from sklearn.linear_model import LogisticRegression

    targets = np.array([classes.index(label) for label in labels])
    model = LogisticRegression(C=c, max_iter=10_000).fit(vectors, targets)
    weight = np.zeros((len(classes), vectors.shape[1]))
    bias = np.full(len(classes), -1e3)  # a class with no example is never predicted
    if len(model.classes_) == 2:  # sklearn keeps one row for two classes: log-odds of the second
        weight[model.classes_[1]], bias[model.classes_[1]] = model.coef_[0], model.intercept_[0]
        weight[model.classes_[0]], bias[model.classes_[0]] = 0.0, 0.0
    else:
        weight[model.classes_], bias[model.classes_] = model.coef_, model.intercept_
    return Head(classes, weight, bias)


EXEMPLAR_K = 40  # nearest exemplars a reading is compared with
EXEMPLAR_TEMPERATURE = 0.05  # cosine scale of their weights: 0.05 closer counts e times more
# (both chosen out of fold among k 5-80 and temperatures 0.02-1: fewer calm messages sent to
# emergency help at the same recall, docs/learning.md)


def triage_texts(rows: list[Row]) -> tuple[list[str], list[str]]:
    """What triage's route head and exemplars learn from: each row's text, and its route.

    Triage also reads a message sentence by sentence, so the route head learns from sentences
    too: every sentence of a message to answer or refuse is as calm as the message (a sentence
    of an emergency or of a request may be the calm part of it, so those are not used).
    """
    texts = [r.text for r in rows]
    routes = [r.label.split(":")[0] for r in rows]
    for row in rows:
        if row.label in ("answer", "refuse"):
            parts = Triage.readings(row.question)[1:]
            texts += parts
            routes += [row.label] * len(parts)
    return texts, routes


WORDS_C = 10.0  # inverse regularisation of the word head (out of fold, 3-30 gave the same trade)
WORDS_MIN_DF = 2  # a word or pair is a term when at least this many texts hold it


def fit_words(texts: list[str], routes: list[str]) -> Words:
    """The word head: tf-idf of words and word pairs (``Words``), and a regression over the routes."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        ngram_range=(1, 2), min_df=WORDS_MIN_DF, sublinear_tf=True, token_pattern=WORD_PATTERN.pattern
    )
    found = vectorizer.fit_transform(texts)
    terms = tuple(vectorizer.get_feature_names_out())
    return Words(terms, vectorizer.idf_, _regression(found, routes, ROUTES, WORDS_C))


def write_words(path: Path, words: Words, about: dict) -> str:
    """Write the word head with ``about`` (where it came from), a line per term, so that a reviewer
    can read what each word weighs and a refit's diff reads term by term. Returns the file's sha256."""
    data = {**about, **words.to_dict()}
    terms = data.pop("terms")
    lines = [f"  {json.dumps(name)}: {json.dumps(value)}" for name, value in data.items()]
    entries = [f"    {json.dumps(term)}: {json.dumps(row)}" for term, row in terms.items()]
    text = "{\n" + ",\n".join([*lines, '  "terms": {\n' + ",\n".join(entries) + "\n  }"]) + "\n}\n"
    path.write_text(text, encoding="utf-8")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def texts_sha256(texts: list[str]) -> str:
    return hashlib.sha256(json.dumps(texts).encode("utf-8")).hexdigest()


def fit_heads(model, rows: list[Row], thresholds: Thresholds, combiners: dict | None = None) -> Triage:
    """Triage's three regressions and its exemplars, from ``model``'s embeddings of ``rows``, and its
    word head, from their words."""
    texts, routes = triage_texts(rows)
    vectors = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    route = _regression(vectors, routes, ROUTES)
    exemplars = Exemplars(
        vectors.astype(np.float32),
        np.array([ROUTES.index(r) for r in routes], dtype=np.int8),
        k=EXEMPLAR_K,
        temperature=EXEMPLAR_TEMPERATURE,
    )
    heads = []
    for prefix in ("urgent", "decline"):
        chosen = [i for i, r in enumerate(rows) if r.label.startswith(prefix + ":")]
        kinds = [rows[i].label.split(":", 1)[1] for i in chosen]
        heads.append(_regression(vectors[chosen], kinds, tuple(sorted(set(kinds)))))
    return Triage(route, heads[0], heads[1], thresholds, combiners, exemplars, fit_words(texts, routes))


PRECEDENT_K = 10  # nearest answered training questions whose answers vote
PRECEDENT_TEMPERATURE = 0.05  # both chosen out of fold among k 5-20 and 0.03-0.1 (ask/precedents.py)


def precedent_texts(rows: list[Row]) -> tuple[list[Row], list[str]]:
    """The rows the pages answer, with gold passages, and each one's question as the bot searches it."""
    chosen = [r for r in rows if r.expect == "answer" and r.evidence]
    lexicon = load_lexicon()
    return chosen, [resolve(r.question, r.history_turns() or None, lexicon) for r in chosen]


def fit_precedents(model, rows: list[Row]) -> Precedents:
    """The answered rows of ``rows`` as precedents, embedded by ``model`` (the example bank has no answers)."""
    chosen, texts = precedent_texts(rows)
    vectors = model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    return Precedents(
        vectors.astype(np.float32),
        tuple(r.evidence for r in chosen),
        k=PRECEDENT_K,
        temperature=PRECEDENT_TEMPERATURE,
    )


def build_index(embedder: Embedder, folder: Path, corpus_dir: Path):
    """Build the corpus's index with ``embedder`` into ``folder``; return it loaded."""
    from index import load
    from ingest import build

    settings = Settings(corpus_dir=corpus_dir, index_dir=folder)
    build(settings, full=True, embedder=embedder)
    return load(folder)


def records_for(
    fitted: FineTuned, train: list[Row], rows: list[Row], work: Path, weights: Weights | None = None
) -> list[Record]:
    """Run the bot built on ``fitted`` (and triage fitted on ``train``) over ``rows``, triage and decision off."""
    embedder = Embedder(SentenceTransformerModel(fitted.model), model_name(f"fold-{work.name}"))
    index = build_index(embedder, work / "index", CORPUS_DIR)
    off = Thresholds(urgent=NEVER, safety=NEVER, decline=NEVER, no_context=NEVER)
    triage = fit_heads(fitted.model, train, off)
    precedents = fit_precedents(fitted.model, train)
    bot = Bot(index, embedder, urgent=(), triage=triage, weights=weights, precedents=precedents, always_answer=True)
    patterns = load_groups(URGENT_FILE)
    cases = [case_of(row) for row in rows]
    gold = locate_evidence(cases, index)[0]
    records = []
    for row, case in zip(rows, cases, strict=True):
        previous = row.history[-1] if row.history else ""
        readings = triage.readings(row.question, previous)
        vectors = embedder.embed(readings)
        verdict = triage.verdict(readings, vectors, has_history=bool(previous))
        kind, _ = triage.emergencies.best(vectors[verdict.worst])
        answer = bot.ask(row.question, row.history_turns() or None)
        matched = first_match(patterns, row.question)
        candidates = None
        if row.expect == "answer" and gold[case.id]:
            searched = resolve(row.question, row.history_turns() or None, bot.lexicon)
            candidates = candidate_signals(bot, searched, embedder.embed_one(searched), gold[case.id])
        records.append(
            Record(
                row=row,
                urgent=verdict.urgent_readings,
                declinable=verdict.decline_readings,
                urgent_near=verdict.urgent_near,
                declinable_near=verdict.decline_near,
                urgent_words=verdict.urgent_words,
                declinable_words=verdict.decline_words,
                no_context=verdict.no_context,
                kind=kind,
                pattern_urgent=matched.name if matched else "",
                answer=answer,
                gold=gold[case.id],
                evidence=answer.evidence,
                candidates=candidates,
            )
        )
    return records


def candidate_signals(bot: Bot, searched: str, vector: np.ndarray, gold: list) -> tuple[np.ndarray, np.ndarray]:
    """The signals of every quotable candidate sentence for ``searched``, and whether each overlaps gold."""
    retriever = bot.retriever
    scores = retriever.score(retriever.query(searched), vector)
    sentences = bot.index.sentences
    keep, overlaps = [], []
    for row, sentence_id in enumerate(scores.ids.tolist()):
        if not scores.quotable(sentence_id):
            continue
        s = sentences[sentence_id]
        keep.append(row)
        overlaps.append(any(doc == s.doc_id and s.start < end and start < s.end for doc, start, end in gold))
    signals = np.stack([scores.dense, scores.passage, scores.lexical, scores.coverage, scores.precedent], axis=1)[keep]
    return signals, np.array(overlaps)


def monotone_regression(x: np.ndarray, y: np.ndarray, directions: np.ndarray) -> tuple[np.ndarray, float]:
    """A balanced logistic regression whose weights keep their stated sign (``directions``: +1, -1,
    or 0 for either): a weight against its direction is dropped and the rest refitted."""
    from sklearn.linear_model import LogisticRegression

    used = np.ones(x.shape[1], dtype=bool)
    while True:
        model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000).fit(x[:, used], y)
        coef = np.zeros(x.shape[1])
        coef[used] = model.coef_[0]
        wrong = used & (coef * directions < 0)
        if not wrong.any():
            return coef, float(model.intercept_[0])
        used &= ~wrong


def fit_ranker(records: list[Record]) -> Weights:
    """Weights of the fused score: a logistic regression of "overlaps gold" on the candidates' signals.

    Fitted per question (its candidates standardised within it would lose the scale the
    margins of ``ask.quotes`` work in), so on the raw signals, then scaled to add up to 1.
    Negative weights are dropped and the rest refitted.
    """

    pairs = [r.candidates for r in records if r.candidates is not None and r.candidates[1].any()]
    signals = np.concatenate([p[0] for p in pairs])
    labels = np.concatenate([p[1] for p in pairs])
    coef, _ = monotone_regression(signals, labels, np.ones(signals.shape[1]))
    coef = coef / coef.sum()
    return Weights(*(float(c) for c in coef))


def case_of(row: Row) -> Case:
    return Case(
        id=row.id,
        question=row.question,
        expect=row.expect,
        category=row.category,
        evidence=row.evidence,
        history=tuple(row.history_turns()),
        subtype=row.subtype,
    )


def over_folds(
    rows: list[Row],
    per_fold: Callable,
    recipe: Recipe | None = None,
    *,
    examples: list[Row] = (),
    folds_dir: Path | None = None,
    encoders: dict[int, FineTuned] | None = None,
    say: Callable = print,
) -> tuple[list, list[int]]:
    """``per_fold(k, encoder, train_rows, held_out_rows, work_dir)`` for each fold; its results per row.

    ``examples`` (the example bank) are never held out: every fold's triage heads learn from all of
    them (they are part of its ``train_rows``), its encoder is fine-tuned on its labelled rows only,
    and only ``rows`` are scored.

    Each fold's fine-tuned encoder is kept in ``encoders`` (when given) for a further pass in the
    same run, and in ``folds_dir`` (when given) for a later run with the same rows and recipe, so
    changes after the encoder (the answering code, the second level) are cross-validated again in
    minutes instead of a fine-tune per fold.
    """
    recipe = recipe or Recipe()
    results: list = [None] * len(rows)
    fold_of = [0] * len(rows)
    with tempfile.TemporaryDirectory(prefix="mbc-cv-") as tmp:
        for k, test in enumerate(folds(rows)):
            started = time.perf_counter()
            held_out = set(test.tolist())
            train = [row for i, row in enumerate(rows) if i not in held_out]
            if encoders is not None and k in encoders:
                fitted = encoders[k]
            else:
                fitted = fold_encoder(train, recipe, k, folds_dir, say)
            if encoders is not None:
                encoders[k] = fitted
            work = Path(tmp) / f"{k}"
            taught = train + list(examples)
            for i, result in zip(test, per_fold(k, fitted, taught, [rows[i] for i in test], work), strict=True):
                results[i] = result
                fold_of[i] = k
            shutil.rmtree(work, ignore_errors=True)
            say(f"fold {k + 1}/{FOLDS}: done in {time.perf_counter() - started:.0f} s")
    return results, fold_of


def fold_encoder(train: list[Row], recipe: Recipe, k: int, folds_dir: Path | None, say: Callable) -> FineTuned:
    """Fold ``k``'s encoder, fine-tuned on ``train``: reused from ``folds_dir`` when it was fine-tuned on
    the same rows with the same recipe, else fine-tuned (and kept there when ``folds_dir`` is given)."""
    identity = hashlib.sha256(
        json.dumps(
            {"recipe": recipe.to_dict(), "rows": [r.id for r in train], "questions": [r.text for r in train]}
        ).encode()
    ).hexdigest()[:12]
    folder = folds_dir / f"fold-{k}" if folds_dir else None
    if folder is not None and fitted_model_id(folder) == identity:
        say(f"fold {k + 1}/{FOLDS}: reusing the encoder in {folder}")
        return load_fine_tuned(folder, recipe)
    say(f"fold {k + 1}/{FOLDS}: fine-tuning on {len(train)} messages")
    fitted = fine_tune(train, recipe, say=lambda m: say(f"  {m}"))
    if folder is not None:
        save(fitted, folder, model_id=identity)
    return fitted


# --- the second level: thresholds and the decision, fitted on out-of-fold records ---------------


@dataclass(frozen=True)
class SecondLevel:
    combiners: dict[str, Combiner]
    thresholds: Thresholds
    decision: Decision

    def emergency(self, record: Record) -> float:
        return self.combiners["urgent"](*urgent_readings(record))

    def decline(self, record: Record) -> float:
        return self.combiners["decline"](*decline_readings(record))

    def sends_to_emergency_help(self, record: Record) -> bool:
        """What the bot does with ``record``: triage's threshold, or the urgent patterns as a second net."""
        return self.emergency(record) >= self.thresholds.urgent or bool(record.pattern_urgent)


def urgent_readings(record: Record) -> tuple[Readings, Readings, Readings]:
    return record.urgent, record.urgent_near, record.urgent_words


def decline_readings(record: Record) -> tuple[Readings, Readings, Readings]:
    return record.declinable, record.declinable_near, record.declinable_words


def fit_combiner(records: list[Record], readings: Callable, positive: Callable) -> Combiner:
    """A balanced logistic regression of ``positive`` on the log-odds of the nine readings
    (``readings(record)``: the head's, the nearest exemplars' and the words').

    A weight below 0 is dropped and the rest refitted: a reading that looks more like the class
    never makes the message less likely to be one.
    """

    x = np.array([[logit(p) for pair in readings(r) for p in pair.as_tuple()] for r in records])
    y = np.array([positive(r) for r in records])
    coef, intercept = monotone_regression(x, y, np.ones(x.shape[1]))
    return Combiner(tuple(float(c) for c in coef), intercept)


def choose_thresholds(records: list[Record], combiners: dict[str, Combiner]) -> Thresholds:
    """Thresholds for recall first (emergencies), and for the best balance (requests, no context)."""
    level = SecondLevel(combiners, Thresholds(NEVER, NEVER, NEVER, NEVER), None)
    urgent = np.sort([level.emergency(r) for r in records if r.row.expect == "urgent"])
    if not len(urgent):
        raise ValueError("the records hold no emergency to set the urgent threshold by")
    return Thresholds(
        urgent=float(urgent[int(np.floor(URGENT_MISSED * len(urgent)))]),
        safety=float(urgent[0]) * SAFETY_MARGIN,
        decline=_balanced_threshold(records, level.decline, lambda r: r.row.label.startswith("decline:")),
        # Asked for context only when more likely than not: below that, standalone questions with a
        # pronoun for the disease ("where does it spread?") were asked what they meant.
        no_context=max(
            NO_CONTEXT_FLOOR,
            _balanced_threshold(records, lambda r: r.no_context, lambda r: r.row.label == "no_context"),
        ),
    )


def _balanced_threshold(records: list[Record], score: Callable, positive: Callable) -> float:
    """The threshold that maximises recall minus twice the false-positive rate."""
    scores = np.array([score(r) for r in records])
    labels = np.array([positive(r) for r in records])
    if not labels.any():
        return NEVER
    best, best_value = 0.5, -np.inf
    for t in np.unique(np.concatenate([scores[labels], [0.5]])):
        flagged = scores >= t
        value = flagged[labels].mean() - 2.0 * flagged[~labels].mean()
        if value > best_value:
            best, best_value = float(t), value
    return best


def decision_rows(records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
    """Evidence of the records that reached the decision, and whether each should be answered."""
    kept = [r for r in records if r.evidence is not None and r.row.expect != "urgent"]
    features = np.array([r.evidence.vector() for r in kept])
    answerable = np.array([r.row.expect == "answer" for r in kept])
    return features, answerable


# The direction each signal may push the decision: more of it never makes an answer less likely
# (+1) or more likely (-1). A fitted weight against its direction is dropped and the rest refitted,
# so the decision stays monotone in its evidence whatever the sample.
DIRECTIONS = {
    "answer_odds": 1,
    "answer_odds_near": 1,
    "best_dense": 1,
    "best_fused": 1,
    "runner_up_gap": 0,  # either way: a lone clear best, or a near tie between two good quotes
    "subject_coverage": 1,
    "unknown_share": -1,
    "best_precedent": 1,
}


def fit_decision(records: list[Record]) -> Decision:
    """A balanced logistic regression over the records' evidence, monotone as ``DIRECTIONS`` says."""

    features, answerable = decision_rows(records)
    mean, scale = features.mean(axis=0), features.std(axis=0) + 1e-9
    directions = np.array([DIRECTIONS[name] for name in Evidence.names()])
    coef, intercept = monotone_regression((features - mean) / scale, answerable, directions)
    return Decision(mean=mean, scale=scale, coef=coef, intercept=intercept, threshold=0.5)


def second_level(records: list[Record]) -> SecondLevel:
    """Combiners, thresholds and the decision, fitted on ``records``."""
    combiners = {
        "urgent": fit_combiner(records, urgent_readings, lambda r: r.row.expect == "urgent"),
        "decline": fit_combiner(records, decline_readings, lambda r: r.row.label.startswith("decline:")),
    }
    return SecondLevel(combiners, choose_thresholds(records, combiners), fit_decision(records))


def answers_for(
    fitted: FineTuned, train: list[Row], rows: list[Row], work: Path, weights: Weights, level: SecondLevel
) -> list[Outcome]:
    """The real bot of one fold (encoder, heads, combiners, thresholds, decision) answering ``rows``."""
    embedder = Embedder(SentenceTransformerModel(fitted.model), model_name(f"fold-{work.name}"))
    index = build_index(embedder, work / "index", CORPUS_DIR)
    triage = fit_heads(fitted.model, train, level.thresholds, level.combiners)
    precedents = fit_precedents(fitted.model, train)
    bot = Bot(index, embedder, triage=triage, decision=level.decision, weights=weights, precedents=precedents)
    cases = [case_of(row) for row in rows]
    gold = locate_evidence(cases, index)[0]
    return [run_case(case, bot, gold[case.id]) for case in cases]


# --- writing the fit -----------------------------------------------------------------------------


def model_id(recipe: Recipe, data_sha256: str) -> str:
    blob = json.dumps({"recipe": recipe.to_dict(), "data_sha256": data_sha256}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def fingerprint(embedder_or_model) -> list[list[float]]:
    vectors = embedder_or_model.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True)
    return [[round(float(v), 5) for v in row] for row in vectors]


def build_model(model_dir: Path, *, say: Callable = print, train_file: Path = TRAIN_FILE) -> FineTuned:
    """Fine-tune the encoder as ``models/encoder.json`` describes and write it to ``model_dir``."""
    spec = json.loads(ENCODER_FILE.read_text(encoding="utf-8"))
    recipe = Recipe(**spec["recipe"])
    data_sha = file_sha256(train_file)
    if data_sha != spec["data_sha256"]:
        from errors import ModelError

        raise ModelError(
            f"{train_file} changed since the fit in {ENCODER_FILE} (sha256 {data_sha[:12]}, not "
            f"{spec['data_sha256'][:12]}). Refit with: python -m learn fit"
        )
    fitted = fine_tune(read_rows(train_file), recipe, say=say)
    tmp = model_dir.with_name(model_dir.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    save(fitted, tmp, model_id=spec["model_id"])
    shutil.rmtree(model_dir, ignore_errors=True)
    tmp.rename(model_dir)  # the folder is complete or absent: a crash never leaves half a model
    return fitted


@dataclass
class CrossValidation:
    records: list[Record]  # out of fold, with the fitted fused-score weights
    fold_of: list[int]
    weights: Weights
    outcomes: list[Outcome]  # the real bot of each fold, its second level fitted on the other folds


def cross_validate(
    rows: list[Row],
    recipe: Recipe | None = None,
    *,
    examples: list[Row] = (),
    folds_dir: Path | None = None,
    say: Callable = print,
) -> CrossValidation:
    """Three passes over the same fold encoders (one fine-tune per fold):

    1. records with the committed fused-score weights, to fit the weights on every candidate's signals;
    2. records with those weights: what the second level is fitted on;
    3. the real bot of each fold, with a second level fitted on the other folds' records, answering
       its held-out messages: the figures ``python -m learn cv`` prints.
    """
    encoders: dict[int, FineTuned] = {}
    common = {"examples": examples, "folds_dir": folds_dir, "encoders": encoders, "say": say}

    def first(k, fitted, train, held, work):
        return records_for(fitted, train, held, work)

    records, _ = over_folds(rows, first, recipe, **common)
    weights = fit_ranker(records)
    say(f"fused score weights: {weights.to_dict()}; recording again with them")

    def second(k, fitted, train, held, work):
        return records_for(fitted, train, held, work, weights)

    records, fold_of = over_folds(rows, second, recipe, **common)
    say("answering each fold with a second level fitted on the other folds")

    def third(k, fitted, train, held, work):
        level = second_level([r for r, f in zip(records, fold_of, strict=True) if f != k])
        return answers_for(fitted, train, held, work, weights, level)

    outcomes, _ = over_folds(rows, third, recipe, **common)
    return CrossValidation(records, fold_of, weights, outcomes)


def fit_all(
    records: list[Record],
    fold_of: list[int],
    weights: Weights,
    recipe: Recipe,
    *,
    model_dir: Path,
    say: Callable = print,
) -> None:
    """Fit the second level on every record, fine-tune on every row, and write the fitted files."""
    level = second_level(records)
    write_records(records, fold_of)
    data_sha, examples = file_sha256(TRAIN_FILE), examples_sha256()
    identity = model_id(recipe, data_sha)
    spec = {"model_id": identity, "data_sha256": data_sha, "data": "data/train.jsonl", "recipe": recipe.to_dict()}
    ENCODER_FILE.write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
    if fitted_model_id(model_dir) == identity:  # the same data and recipe: the encoder is already this fit
        say(f"reusing the encoder in {model_dir}")
        fitted = load_fine_tuned(model_dir, recipe)
    else:
        say("fine-tuning on every message")
        fitted = build_model(model_dir, say=say)
    spec["fingerprint"] = {"probes": list(PROBES), "vectors": fingerprint(fitted.model)}
    ENCODER_FILE.write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
    about = {
        "model_id": identity,
        "data_sha256": data_sha,
        "examples_sha256": examples,
        "fitted_on": f"{RECORDS_FILE.name}: out-of-fold, k=5, seed 0",
    }
    labelled = read_rows(TRAIN_FILE)
    taught = labelled + read_examples()
    triage = fit_heads(fitted.model, taught, level.thresholds, level.combiners)
    settings = {
        "regression_C": HEAD_C,
        "heads_fitted_on": "the final encoder's embeddings of data/train.jsonl and the example bank",
    }
    vectors = write_vectors(EXEMPLARS_FILE, triage.exemplars.vectors, texts_sha256(triage_texts(taught)[0]))
    exemplars = triage.exemplars.to_dict(vectors)
    about_words = {
        "data_sha256": data_sha,
        "examples_sha256": examples,
        "fitted_on": "the words of data/train.jsonl, their sentences and the example bank",
        "regression_C": WORDS_C,
        "min_df": WORDS_MIN_DF,
    }
    words = {"words": WORDS_FILE.name, "words_sha256": write_words(WORDS_FILE, triage.words, about_words)}
    TRIAGE_FILE.write_text(
        json.dumps({**about, **settings, **triage.to_dict(), "exemplars": exemplars, **words}) + "\n", encoding="utf-8"
    )
    DECISION_FILE.write_text(json.dumps({**about, **level.decision.to_dict()}, indent=2) + "\n", encoding="utf-8")
    precedents = fit_precedents(fitted.model, labelled)
    vectors_file = PRECEDENTS_FILE.with_suffix(".npy")
    vectors = write_vectors(vectors_file, precedents.vectors, texts_sha256(precedent_texts(labelled)[1]))
    about_precedents = {
        "model_id": identity,
        "data_sha256": data_sha,
        "fitted_on": "the answered rows of data/train.jsonl",
    }
    PRECEDENTS_FILE.write_text(
        json.dumps({**about_precedents, **precedents.to_dict(vectors)}, indent=1) + "\n", encoding="utf-8"
    )
    ranker = {**about, "fitted_on": "every candidate sentence of the out-of-fold records", "weights": weights.to_dict()}
    RANKER_FILE.write_text(json.dumps(ranker, indent=2) + "\n", encoding="utf-8")
    say(f"wrote {ENCODER_FILE.name}, {TRIAGE_FILE.name}, {DECISION_FILE.name} and {model_dir}")
