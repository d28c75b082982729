"""Write events out as JSON Lines, atomically (a reader never sees half a file)."""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError, to_jsonable_python

from ..models import Article, ClusteringResult, Event, Story
from ._common import _kind


def write_assignments_jsonl(
    result: ClusteringResult, articles: Sequence[Article], path: str | os.PathLike[str]
) -> None:
    """Write one JSON line per article, in input order, with the event it belongs to.

    Each line holds the article (``id``, ``title``, ``text``, ``source``, ``url``,
    ``published_at`` as ISO 8601, ``language``, ``metadata``) and its assignment: ``event_id``
    (the :class:`Event` id), ``event_label`` (its index in ``result.events``), ``story_id``
    and ``story_label`` (its :class:`Story` and that story's index in ``result.stories``;
    ``None`` for a result without stories), ``similarity``, ``is_representative`` and
    ``duplicate_of``. ``articles`` must be the articles the result was computed from, in the
    same order. The file is replaced atomically.
    """
    _check_aligned(result, articles)
    members = [{m.article_id: m for m in event.members} for event in result.events]
    story_labels: list[int | None] = (
        list(result.story_labels) if result.story_labels else [None] * len(result.labels)
    )

    def lines() -> Iterator[str]:
        for article, label, story in zip(articles, result.labels, story_labels, strict=True):
            if not 0 <= label < len(result.events):
                raise ValueError(
                    f"result label {label} for article {article.id!r} is out of range "
                    f"(the result has {len(result.events)} events)"
                )
            event = result.events[label]
            member = members[label].get(article.id)
            if member is None:
                raise ValueError(
                    f"inconsistent result: article {article.id!r} is assigned to event "
                    f"{event.id!r} but is not one of its members"
                )
            row = {
                "id": article.id,
                "title": article.title,
                "text": article.text,
                "source": article.source,
                "url": article.url,
                "published_at": _iso(article.published_at),
                "language": article.language,
                "metadata": article.metadata,
                "event_id": event.id,
                "event_label": label,
                "story_id": None if story is None else result.stories[story].id,
                "story_label": story,
                "similarity": member.similarity,
                "is_representative": member.is_representative,
                "duplicate_of": member.duplicate_of,
            }
            yield _dumps(row, article.id)

    _write_lines_atomic(path, lines())


def write_events_jsonl(
    events: Iterable[Event],
    path: str | os.PathLike[str],
    *,
    stories: Iterable[Story] | None = None,
) -> None:
    """Write one event per line (``Event.model_dump(mode="json")``), atomically.

    ``events`` may be a :class:`ClusteringResult`, which iterates over its events; its stories
    (or ``stories``, e.g. ``model.stories_``) add a ``story_id`` field to each line.
    """
    if stories is None and isinstance(events, ClusteringResult):
        stories = events.stories
    story_of = {e: story.id for story in stories or [] for e in story.events}

    def lines() -> Iterator[str]:
        for index, event in enumerate(events):
            if not isinstance(event, Event):
                raise TypeError(f"item {index} is {_kind(event)}, not an Event")
            row = event.model_dump(mode="json")
            if story_of:
                row["story_id"] = story_of.get(event.id)
            yield _dumps(row, event.id)

    _write_lines_atomic(path, lines())


def write_stories_jsonl(
    stories: Iterable[Story] | ClusteringResult, path: str | os.PathLike[str]
) -> None:
    """Write one story per line (``Story.model_dump(mode="json")``: its id, event ids,
    representative event and article, label, keywords, dates), atomically. ``stories`` may be
    a :class:`ClusteringResult`."""
    items = stories.stories if isinstance(stories, ClusteringResult) else stories

    def lines() -> Iterator[str]:
        for index, story in enumerate(items):
            if not isinstance(story, Story):
                raise TypeError(f"item {index} is {_kind(story)}, not a Story")
            yield _dumps(story.model_dump(mode="json"), story.id)

    _write_lines_atomic(path, lines())


def _check_aligned(result: ClusteringResult, articles: Sequence[Article]) -> None:
    if len(articles) != len(result.article_ids):
        raise ValueError(
            f"got {len(articles)} articles for a result over {len(result.article_ids)}; pass "
            "the articles the result was computed from, in the same order"
        )
    for index, (article, expected) in enumerate(zip(articles, result.article_ids, strict=True)):
        if not isinstance(article, Article):
            raise TypeError(f"articles[{index}] is {_kind(article)}, not an Article")
        if article.id != expected:
            raise ValueError(
                f"articles[{index}] has id {article.id!r} but the result has {expected!r} "
                "there; pass the articles the result was computed from, in the same order"
            )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dumps(row: Mapping[str, Any], record_id: str) -> str:
    try:
        line = json.dumps(_jsonable(row), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, PydanticSerializationError) as exc:
        raise TypeError(f"cannot write {record_id!r} as JSON: {exc}") from exc
    if not line.isascii():
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate (say in metadata, which is kept as given) has no UTF-8 form:
            # write this line with \u escapes, which JSON readers turn back into the same str.
            line = json.dumps(_jsonable(row), ensure_ascii=True, allow_nan=False)
    return line


def _jsonable(value: Any) -> Any:
    """``value`` as plain JSON types; non-finite floats become ``None``."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(item) for item in value]
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return _jsonable(value.model_dump(mode="json"))
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays, pandas Series
    if callable(tolist):
        return _jsonable(tolist())
    return to_jsonable_python(value)


def _write_lines_atomic(path: str | os.PathLike[str], lines: Iterable[str]) -> None:
    """Write ``lines`` to a temporary file beside ``path``, then rename it over ``path``.

    The temporary file is created with the usual permissions (0o666 less the umask), or with
    those of the file it replaces; on any error it is removed and ``path`` is left as it was.
    """
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(temporary, flags, 0o666)
    try:
        with open(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            for line in lines:
                handle.write(line)
                handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
