"""Every word the bot says besides quotes, as data clinical staff review, and the code that loads it.

``messages.toml`` (what the bot says), ``helplines.toml`` (the tap-to-call numbers) and
``urgent.toml`` (the urgent patterns kept as a second net) sit beside this file.
"""

from prompts.messages import MESSAGES_FILE, PROMPTS_DIR, Messages, load_messages

__all__ = ["MESSAGES_FILE", "PROMPTS_DIR", "Messages", "load_messages"]
