"""Every word the bot says besides quotes, as data clinical staff review, and the code that loads it.

``messages.toml`` (what the bot says), ``helplines.toml`` (the tap-to-call numbers) and
``urgent.toml`` (the urgent patterns kept as a second net) sit beside this file. Each such file,
and ``ask/lexicon.toml``, is read into a pydantic model (``PromptFile``: no unknown entry, none
missing) by ``read_prompt_file``, which names what is wrong; the fitted files of ``models/`` are
read the same way (``read_fitted_file``, ``read_vectors``).
"""

from prompts.files import (
    REFIT,
    FittedFile,
    NonEmptyText,
    Patterns,
    PromptFile,
    compiled,
    read_fitted_file,
    read_prompt_file,
    read_vectors,
    write_vectors,
)
from prompts.messages import MESSAGES_FILE, PROMPTS_DIR, TEMPLATE_VARIABLES, Messages, load_messages

__all__ = [
    "MESSAGES_FILE",
    "PROMPTS_DIR",
    "REFIT",
    "TEMPLATE_VARIABLES",
    "FittedFile",
    "Messages",
    "NonEmptyText",
    "Patterns",
    "PromptFile",
    "compiled",
    "load_messages",
    "read_fitted_file",
    "read_prompt_file",
    "read_vectors",
    "write_vectors",
]
