"""Read a short follow-up question in the light of the previous one.

"what about the liver?" after "what are the symptoms of bone mets?" becomes
"what are the symptoms of mets? what about the liver?": the earlier question's place
(bone) gives way to the new one (liver), the rest of its topic (symptoms) carries over.
A question that stands on its own ignores the history. Whether a message leans on the earlier
turn is the triage head's call (its probability that the message makes no sense alone, learned
from labelled context-free messages), with short elliptical openers ("what about") as a second net.
"""

from __future__ import annotations

from ask.lexicon import Lexicon
from index import normalised_line, words

MAX_CONTENT_WORDS = 3


def previous_question(history: list | None) -> str:
    """The last non-empty user turn in ``history`` (a list of {"role", "content"} dicts), or ""."""
    for turn in reversed(history or []):
        if isinstance(turn, dict) and turn.get("role") == "user" and isinstance(turn.get("content"), str):
            text = " ".join(turn["content"].split())
            if text:
                return text
    return ""


def opens_as_follow_up(question: str, lexicon: Lexicon) -> bool:
    """An explicit follow-up: an opener ("what about", "and the") or a single content word.

    A pronoun alone ("where does it spread?") is left to the learned ``needs_context``: "it" is as
    often the disease the whole conversation is about as something the earlier turn named.
    """
    text = normalised_line(question)
    content = [t for t in words(question) if t not in lexicon.stop and t not in lexicon.everyday]
    if len(content) > MAX_CONTENT_WORDS:
        return False
    return len(content) <= 1 or any(text == o or text.startswith(o + " ") for o in lexicon.followup_openers)


def resolve(question: str, history: list | None, lexicon: Lexicon, *, needs_context: bool = False) -> str:
    """The text to search for: the question, or the previous question joined with it.

    ``needs_context``: triage found the message makes no sense on its own.
    """
    previous = previous_question(history)
    if not previous or not (needs_context or opens_as_follow_up(question, lexicon)):
        return question
    new_words = set(words(question))
    kept = []
    for word in previous.split():
        bare = "".join(words(word))
        if any(bare in kind and new_words & kind and bare not in new_words for kind in lexicon.followup_kinds):
            continue
        kept.append(word)
    return f"{' '.join(kept)} {question}"
