"""The prompts/ files: loaded into checked models that reject unknown and name missing entries."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from ask import load_lexicon
from errors import PromptError
from prompts import MESSAGES_FILE, load_messages
from safety import URGENT_FILE, first_match, load_groups


def written(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def assert_refused(load: Callable[[Path], object], path: Path, problem: str) -> None:
    """``load(path)`` raises a ``PromptError`` that names the file and ``problem``."""
    with pytest.raises(PromptError, match=re.escape(f"{path}: {problem}")):
        load(path)


def test_the_shipped_prompts_load():
    messages = load_messages()
    assert "care team" in messages.refused
    assert "911" in messages.urgent_emergency and "116 123" in messages.urgent_self_harm
    assert load_groups(URGENT_FILE)


def _write_messages(tmp_path, drop=None, extra=None, too_long=None):
    text = MESSAGES_FILE.read_text(encoding="utf-8")
    lines = text.splitlines()
    if drop:
        start = next(i for i, line in enumerate(lines) if line.startswith(f"{drop} ="))
        end = next(i for i in range(start + 1, len(lines)) if lines[i].endswith('"""'))
        lines = lines[:start] + lines[end + 1 :]
    if extra:
        lines.append(f'{extra} = "hello"')
    if too_long:
        start = next(i for i, line in enumerate(lines) if line.startswith("too_long ="))
        end = next(i for i in range(start + 1, len(lines)) if lines[i].endswith('"""'))
        lines = [*lines[:start], f'too_long = "{too_long}"', *lines[end + 1 :]]
    path = tmp_path / "messages.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"drop": "refused"}, "missing entry refused"),
        ({"extra": "greeting"}, "unknown entry greeting"),
        ({"too_long": "Too long: {length} of {limit}"}, "too_long: uses unknown variable(s) limit"),
        ({"too_long": "Too long: {length}"}, "too_long: missing variable(s) max_chars"),
    ],
)
def test_a_wrong_messages_file_is_named(tmp_path, change, problem):
    assert_refused(load_messages, _write_messages(tmp_path, **change), problem)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('[[group]]\nname = "x"\nmessage = "refused"\n', "missing entry group[1].patterns"),
        (
            '[[group]]\nname = "x"\nmessage = "refused"\npatterns = []\ncolour = "red"\n',
            "unknown entry group[1].colour",
        ),
        ('[[group]]\nname = "x"\nmessage = "nope"\npatterns = []\n', "group[1].message: message 'nope' is not one of"),
        ('[[group]]\nname = "x"\nmessage = "refused"\npatterns = [\'(\']\n', "group[1].patterns: bad pattern '('"),
        ('title = "x"\n', "missing entry group; unknown entry title"),
    ],
)
def test_a_wrong_pattern_file_is_named(tmp_path, content, problem):
    assert_refused(load_groups, written(tmp_path / "patterns.toml", content), problem)


@pytest.mark.parametrize(
    ("text", "group"),
    [
        ("I can’t breathe and my chest is tight", "emergency"),
        ("My husband has collapsed", "emergency"),
        ("she suddenly can't walk and lost control of her bladder", "emergency"),
        ("I want to end my life", "self_harm"),
        ("I am thinking about ending my life", "self_harm"),
        ("i have taken all my morphine tablets", "self_harm"),
        ("dad's been confused all of a sudden, doesn't know who we are", "emergency"),
        ("I've got a fever of 39 and I had chemo last week", "emergency"),
        ("severe headache and vomiting and my vision has gone", "emergency"),
        ("what are the symptoms of brain mets?", None),
        ("I can't stop crying since the diagnosis", None),
        ("is chest pain one of the symptoms of lung mets?", None),
        ("can chemo cause a fever?", None),
        ("can metastatic breast cancer cause seizures?", None),
        # Said indirectly, the way people type.
        ("her legs have gone all wobbly and numb since this morning", "emergency"),
        ("he's sat upright fighting for air", "emergency"),
        ("every breath is a struggle tonight", "emergency"),
        ("had chemo on tuesday, now shivery and burning up", "emergency"),
        ("the thermometer says 38.9", "emergency"),
        ("she is talking nonsense and doesn't seem to know what day it is", "emergency"),
        ("everyone would be better off if I just wasn't around any more", "self_harm"),
        ("I've been stashing my oxycodone for when it all gets too much", "self_harm"),
        ("can chemo make you shivery?", None),
        ("i get out of breath on the stairs, is that the lungs?", None),
        ("my legs feel tired after walking, is that normal with bone mets", None),
        ("my kids would be better off if I spent more time with them", None),
    ],
)
def test_urgent_patterns_match_normalised_text(text, group):
    found = first_match(load_groups(URGENT_FILE), text)
    assert (found.name if found else None) == group


@pytest.mark.parametrize(
    ("sentence", "furniture"),
    [
        ("Learn more about clinical trials.", True),
        ("The medical experts for Metastatic Breast Cancer are:", True),
        ("Marisa Weiss, M.D., chief medical officer of; breast radiation oncologist", True),
        ("Special thanks to Musa Mayer, author, patient advocate", True),
        ("Topics include diet and exercise after a diagnosis, strategies for coping, and more.", True),
        ("Let bring you information tailored to your diagnosis details.", True),
        ("In this article, we discuss the symptoms, diagnosis, and treatment for metastatic breast cancer.", True),
        ("This page covers some of the issues to consider when weighing those decisions.", True),
        ("Breast cancer can spread to any bone, but most often spreads to the ribs.", False),
        ("Your care team will be able to guide you in treatment options.", False),
        ("Symptoms of bone metastases can include:", False),
    ],
)
def test_page_furniture_and_credits_are_never_quoted(sentence, furniture):
    assert load_lexicon().is_furniture(sentence) is furniture


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda text: text.replace("[followup]", "[follow_up]", 1), "missing entry followup; unknown entry follow_up"),
        (lambda text: text + '\n[words2]\nstop = ""\n', "unknown entry words2"),
        (
            lambda text: text.replace("[furniture]\npatterns = [", "[furniture]\npatterns = ['(', ", 1),
            "furniture.patterns: bad pattern '('",
        ),
    ],
)
def test_a_wrong_lexicon_is_named(tmp_path, change, problem):
    from ask import LEXICON_FILE

    text = LEXICON_FILE.read_text(encoding="utf-8")
    changed = change(text)
    assert changed != text
    assert_refused(load_lexicon, written(tmp_path / "lexicon.toml", changed), problem)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            '[[crisis]]\nlabel = "Call"\ndetail = "d"\nnumber = "98-8"\nshown = "988"\n',
            "crisis[1].number: String should match",
        ),
        ('[[crisis]]\nlabel = "Call"\ndetail = "d"\nnumber = "988"\n', "missing entry crisis[1].shown"),
        ('[[police]]\nlabel = "Call"\ndetail = "d"\nnumber = "988"\nshown = "988"\n', "unknown entry police"),
    ],
)
def test_a_wrong_helplines_file_is_named(tmp_path, content, problem):
    from prompts import read_prompt_file
    from ui.patient import _Helplines

    path = written(tmp_path / "helplines.toml", content)
    assert_refused(lambda path: read_prompt_file(path, _Helplines, "helplines file"), path, problem)
