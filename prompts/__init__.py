"""Every word the bot says besides quotes, as data clinical staff review, and the code that loads it.

``messages.toml`` (what the bot says), ``helplines.toml`` (the tap-to-call numbers) and
``urgent.toml`` (the urgent patterns kept as a second net) sit beside this file. Each such file,
and ``ask/lexicon.toml``, is read into a pydantic model (``PromptFile``: no unknown entry, none
missing) by ``read_prompt_file``, which names what is wrong.
"""

from prompts.files import NonEmptyText, Patterns, PromptFile, compiled, read_prompt_file
from prompts.messages import MESSAGES_FILE, PROMPTS_DIR, TEMPLATE_VARIABLES, Messages, load_messages

__all__ = [
    "MESSAGES_FILE",
    "PROMPTS_DIR",
    "TEMPLATE_VARIABLES",
    "Messages",
    "NonEmptyText",
    "Patterns",
    "PromptFile",
    "compiled",
    "load_messages",
    "read_prompt_file",
]
