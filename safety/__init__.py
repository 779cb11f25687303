"""Safety before search: emergencies, requests the bot declines, and input it cannot use.

``Triage`` (learned, ``models/triage.json``) routes every message: answer, refuse, needs an earlier
turn, decline, or urgent. The urgent patterns of ``prompts/urgent.toml`` (``load_groups``,
``first_match``) are a second net under it, and ``clean_input`` turns unusable input into a
message instead of an error.
"""

from safety.guard import (
    MAX_QUESTION_CHARS,
    URGENT_FILE,
    InputProblem,
    PatternGroup,
    clean_input,
    first_match,
    load_groups,
)
from safety.triage import (
    EXEMPLARS_FILE,
    READERS,
    ROUTES,
    TRIAGE_FILE,
    WORD_PATTERN,
    WORDS_FILE,
    Combiner,
    Exemplars,
    Head,
    Readings,
    Thresholds,
    Triage,
    Verdict,
    Words,
    decline_message,
    load_triage,
    logit,
)

__all__ = [
    "EXEMPLARS_FILE",
    "MAX_QUESTION_CHARS",
    "READERS",
    "ROUTES",
    "TRIAGE_FILE",
    "URGENT_FILE",
    "WORDS_FILE",
    "WORD_PATTERN",
    "Combiner",
    "Exemplars",
    "Head",
    "InputProblem",
    "PatternGroup",
    "Readings",
    "Thresholds",
    "Triage",
    "Verdict",
    "Words",
    "clean_input",
    "decline_message",
    "first_match",
    "load_groups",
    "load_triage",
    "logit",
]
