"""Triage on a second author's wordings: half of the example bank, held out of everything triage learns.

The fold's encoder is fine-tuned here (about 3 minutes on 2 cores), on that fold's labelled messages
only, as ``python -m learn second-author`` does without ``--keep-folds``.
"""

from __future__ import annotations

from learn.second_author import second_author_check


def test_triage_catches_the_emergencies_of_wordings_another_author_wrote():
    found = second_author_check(say=lambda message: None)
    assert (found.emergencies, found.others, found.requests) == (255, 256, 121)
    # Measured: 0.980 caught, 0.109 of the others sent to emergency help, 0.545 of requests declined
    # (docs/learning.md). The bounds hold what the committed fit reaches against regressions.
    assert found.caught >= 0.97
    assert found.sent_to_emergency_help <= 0.13
    assert found.declined >= 0.5
