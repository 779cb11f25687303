"""Earlier turns as callers pass them, made safe to search with: text the model can always encode.

A lone surrogate (``"\\ud800"``, which JSON can carry) cannot be encoded as UTF-8, so a history turn
holding one made the embedding model fail and ``Bot.ask`` raise. Each such character becomes U+FFFD.
"""

from __future__ import annotations

__all__ = ["safe_history"]


def safe_history(history: object) -> list | None:
    """``history`` with every string made encodable; None when it is not a list."""
    if not isinstance(history, list):
        return None
    return [_safe(turn) for turn in history]


def _safe(value: object) -> object:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace") if _has_surrogate(value) else value
    if isinstance(value, dict):
        return {key: _safe(item) for key, item in value.items()}
    return value


def _has_surrogate(text: str) -> bool:
    return any("\ud800" <= ch <= "\udfff" for ch in text)
