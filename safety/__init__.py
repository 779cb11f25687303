"""Safety before search: emergencies, requests the bot declines, and input it cannot use.

``Triage`` (learned, ``models/triage.json``) routes every message: answer, refuse, needs an earlier
turn, decline, or urgent. The urgent patterns of ``prompts/urgent.toml`` (``load_groups``,
``first_match``) are a second net under it, and ``clean_input`` turns unusable input into a
message instead of an error.
"""

from safety import guard, triage
from safety.guard import *  # noqa: F403  (each module's ``__all__``, named once there)
from safety.triage import *  # noqa: F403

__all__ = [*guard.__all__, *triage.__all__]
