"""Small helpers shared by the readers, writers and frames."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    pass


_MAX_QUOTED = 80


def _require_pandas(function: str) -> Any:
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError(f'{function}() needs pandas: pip install "storycluster[pandas]"') from exc
    return pd


def _kind(value: object) -> str:
    return "None" if value is None else type(value).__name__


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_QUOTED else text[: _MAX_QUOTED - 3] + "..."


def _quote_list(values: Iterable[object]) -> str:
    items = [repr(v) for v in values]
    if len(items) > 30:
        items = [*items[:30], f"... ({len(items) - 30} more)"]
    return "[" + ", ".join(items) + "]"
