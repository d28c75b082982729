"""Field names of input records: which are Article fields, and which probably meant one.

No alias is mapped automatically: ``date`` may be an event date rather than the publication
date, ``content`` may be HTML, ``summary`` a teaser, and a record may hold both ``body`` and
``text``. A field that looks like an Article field under another name is named in an
:class:`InputWarning` (or an error with ``strict=True``) with the field it probably meant, and
the caller renames it (or maps it with ``columns=`` for a DataFrame).
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..models import Article

__all__ = ["FIELDS", "META_KEYS", "FieldCheck", "InputWarning", "probable_field"]

#: Fields of :class:`Article`, which records may set directly.
FIELDS: frozenset[str] = frozenset(Article.model_fields)
#: Keys whose object is merged into ``metadata``.
META_KEYS: frozenset[str] = frozenset({"metadata", "meta"})

# Names other tools and data sets give the Article fields (compared lower-cased, with "-"
# and " " read as "_").
_ALIASES: dict[str, str] = {
    **dict.fromkeys(
        [
            "body", "content", "contents", "article", "article_text", "articletext",
            "full_text", "fulltext", "maintext", "main_text", "story", "text_body",
            "body_text", "document", "raw_text", "description", "summary",
        ],
        "text",
    ),
    **dict.fromkeys(
        ["headline", "headlines", "head", "heading", "subject", "article_title"],
        "title",
    ),
    **dict.fromkeys(
        [
            "date", "published", "publish_date", "published_date", "publication_date",
            "pub_date", "pubdate", "date_published", "publishedat", "datetime", "timestamp",
            "created_at", "date_time", "publish_time", "published_time",
        ],
        "published_at",
    ),
    **dict.fromkeys(["link", "href", "uri", "article_url", "permalink"], "url"),
    **dict.fromkeys(
        ["publisher", "outlet", "site", "domain", "source_name", "media", "newspaper"],
        "source",
    ),
    **dict.fromkeys(
        ["article_id", "doc_id", "docid", "document_id", "uid", "guid", "_id"], "id"
    ),
    **dict.fromkeys(["lang", "locale", "language_code"], "language"),
}  # fmt: skip


class InputWarning(UserWarning):
    """Input that loaded but probably not as meant, e.g. a ``body`` field where ``text`` was
    expected (``strict=True`` makes it an error)."""


@functools.lru_cache(maxsize=1024)
def probable_field(name: str) -> str | None:
    """The Article field that the record key ``name`` probably meant, or ``None``.

    >>> probable_field("body"), probable_field("titel"), probable_field("event_id")
    ('text', 'title', None)
    """
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key in FIELDS and key != name:
        return key  # "Title", "TEXT"
    if key in _ALIASES:
        return _ALIASES[key]
    close = difflib.get_close_matches(key, sorted(FIELDS), n=1, cutoff=0.8)
    return close[0] if close else None


class FieldCheck:
    """Collects the keys of the records that are not Article fields, as they are read."""

    def __init__(self) -> None:
        #: key -> positions of the records holding it
        self.unknown: dict[str, list[int]] = {}
        #: key -> (probable field, records holding the key without that field, first of them)
        self.suspect: dict[str, tuple[str, int, int]] = {}

    def add(self, position: int, record: Mapping[Any, Any]) -> None:
        for raw in record:
            key = str(raw)
            if key in FIELDS or key in META_KEYS:
                continue
            self.unknown.setdefault(key, []).append(position)
            field = probable_field(key)
            if field is not None and _empty(record.get(field)):
                _, count, first = self.suspect.get(key, (field, 0, position))
                self.suspect[key] = (field, count + 1, first)

    def hint(self, record: Mapping[Any, Any]) -> str:
        """For a record that failed: the keys in it that probably meant a missing field."""
        found = [
            (str(key), field)
            for key in record
            if str(key) not in FIELDS
            and (field := probable_field(str(key))) is not None
            and _empty(record.get(field))
        ]
        return "; ".join(f"did you mean {field!r} for {key!r}?" for key, field in found)

    def strict_problems(self) -> list[tuple[int, str]]:
        """``(first position, message)`` for every unknown key (``strict=True``)."""
        problems = []
        for key, positions in self.unknown.items():
            field = probable_field(key)
            meant = f" (did you mean {field!r}?)" if field else ""
            problems.append(
                (
                    positions[0],
                    f"{key}: not an Article field{meant}; strict=True refuses unknown fields "
                    "(put extra data under 'metadata')",
                )
            )
        return problems

    def warning(self, where: Callable[[int], str], *, frame: bool) -> str | None:
        """The :class:`InputWarning` message, or ``None`` when no key looks misnamed."""
        if not self.suspect:
            return None
        parts = []
        for key, (field, count, first) in sorted(self.suspect.items()):
            fix = f"columns={{{field!r}: {key!r}}}" if frame else f"rename it to {field!r}"
            parts.append(
                f"{key!r} looks like {field!r}, which {count} record(s) lack (first at "
                f"{where(first)}): {fix}"
            )
        others = sorted(set(self.unknown) - set(self.suspect))
        kept = f"; other fields kept in metadata: {_names(others)}" if others else ""
        return (
            "input fields that are not Article fields were kept in metadata and are not "
            f"used for clustering: {'; '.join(parts)}{kept} (strict=True makes this an error)"
        )


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _names(keys: Iterable[str]) -> str:
    listed = [repr(k) for k in keys]
    if len(listed) > 10:
        listed = [*listed[:10], f"... ({len(listed) - 10} more)"]
    return ", ".join(listed)
