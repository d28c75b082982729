"""Events and assignments as pandas DataFrames."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..models import Article, ClusteringResult, Event, Story

if TYPE_CHECKING:
    import pandas as pd
from ._common import _require_pandas
from ._writers import _check_aligned


def result_to_dataframe(
    result: ClusteringResult, articles: Sequence[Article] | None = None
) -> pd.DataFrame:
    """One row per article, in input order, with its event and story.

    Columns: ``article_id``, ``event_id``, ``event_label``, ``story_id``, ``story_label``
    (``None`` for a result without stories), ``similarity``, ``is_representative``,
    ``duplicate_of``; with ``articles`` (the inputs, in the same order)
    also ``title``, ``source``, ``url`` and ``published_at`` (UTC timestamps).
    """
    pd = _require_pandas("result_to_dataframe")
    if articles is not None:
        _check_aligned(result, articles)
    members = {m.article_id: m for event in result.events for m in event.members}
    story_labels: list[int | None] = (
        list(result.story_labels) if result.story_labels else [None] * len(result.labels)
    )
    rows = []
    for article_id, label, story in zip(
        result.article_ids, result.labels, story_labels, strict=True
    ):
        member = members.get(article_id)
        rows.append(
            {
                "article_id": article_id,
                "event_id": result.events[label].id,
                "event_label": label,
                "story_id": None if story is None else result.stories[story].id,
                "story_label": story,
                "similarity": None if member is None else member.similarity,
                "is_representative": False if member is None else member.is_representative,
                "duplicate_of": None if member is None else member.duplicate_of,
            }
        )
    columns = [
        "article_id",
        "event_id",
        "event_label",
        "story_id",
        "story_label",
        "similarity",
        "is_representative",
        "duplicate_of",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame["similarity"] = frame["similarity"].astype("float64")
    if result.story_labels is not None:
        frame["story_label"] = frame["story_label"].astype("int64")
    if articles is not None:
        frame["title"] = [a.title for a in articles]
        frame["source"] = [a.source for a in articles]
        frame["url"] = [a.url for a in articles]
        frame["published_at"] = _timestamps(pd, [a.published_at for a in articles])
    return frame


def events_to_dataframe(
    events: Iterable[Event], stories: Iterable[Story] | None = None
) -> pd.DataFrame:
    """One row per event.

    Columns: ``event_id``, ``story_id`` (the story holding the event; ``None`` without
    stories), ``size``, ``label``, ``keywords`` (joined with ``", "``), ``first_published``,
    ``last_published`` (UTC timestamps), ``n_sources``, ``representative_id``,
    ``representative_title``. ``events`` may be a :class:`ClusteringResult`, whose stories are
    then used; else pass ``stories`` (e.g. ``model.stories_``).
    """
    pd = _require_pandas("events_to_dataframe")
    if stories is None and isinstance(events, ClusteringResult):
        stories = events.stories
    story_of = {e: story.id for story in stories or [] for e in story.events}
    rows = list(events)
    frame = pd.DataFrame(
        {
            "event_id": [c.id for c in rows],
            "story_id": [story_of.get(c.id) for c in rows],
            "size": pd.Series([c.size for c in rows], dtype="int64"),
            "label": [c.label for c in rows],
            "keywords": [", ".join(c.keywords) for c in rows],
            "first_published": _timestamps(pd, [c.first_published for c in rows]),
            "last_published": _timestamps(pd, [c.last_published for c in rows]),
            "n_sources": pd.Series([len(set(c.sources)) for c in rows], dtype="int64"),
            "representative_id": [c.representative.id for c in rows],
            "representative_title": [c.representative.title for c in rows],
        }
    )
    return frame


def stories_to_dataframe(stories: Iterable[Story] | ClusteringResult) -> pd.DataFrame:
    """One row per story.

    Columns: ``story_id``, ``size`` (articles), ``n_events``, ``label``, ``keywords`` (joined
    with ``", "``), ``first_published``, ``last_published`` (UTC timestamps), ``n_sources``,
    ``representative_event_id``, ``representative_id``, ``representative_title``,
    ``event_ids`` (a list, earliest first). ``stories`` may be a :class:`ClusteringResult`.
    """
    pd = _require_pandas("stories_to_dataframe")
    rows = list(stories.stories if isinstance(stories, ClusteringResult) else stories)
    return pd.DataFrame(
        {
            "story_id": [s.id for s in rows],
            "size": pd.Series([s.size for s in rows], dtype="int64"),
            "n_events": pd.Series([s.n_events for s in rows], dtype="int64"),
            "label": [s.label for s in rows],
            "keywords": [", ".join(s.keywords) for s in rows],
            "first_published": _timestamps(pd, [s.first_published for s in rows]),
            "last_published": _timestamps(pd, [s.last_published for s in rows]),
            "n_sources": pd.Series([len(set(s.sources)) for s in rows], dtype="int64"),
            "representative_event_id": [s.representative_event for s in rows],
            "representative_id": [s.representative.id for s in rows],
            "representative_title": [s.representative.title for s in rows],
            "event_ids": [list(s.events) for s in rows],
        }
    )


def _timestamps(pd: Any, values: list[datetime | None]) -> Any:
    """Timezone-aware datetimes as a UTC datetime column (``NaT`` for ``None``)."""
    try:
        return pd.to_datetime(pd.Series(values, dtype="object"), utc=True)
    except (ValueError, OverflowError):  # outside the range pandas can hold
        return pd.Series(values, dtype="object")
