"""Typed records that enter and leave storycluster: articles in, events out.

Pydantic objects live at the edges only; the clustering itself works on numpy arrays.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timezone
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ._compat import renamed

__all__ = ["Article", "ClusteringResult", "Event", "EventMatch", "EventMember"]

#: Longest id accepted, in characters. Ids are keys in outputs and state files, not payloads.
MAX_ID_CHARS = 1_000
#: Events listed by ``str(result)``.
_STR_EVENTS = 10


class Article(BaseModel):
    """One news article (or any short document) to be clustered.

    At least one of ``title`` and ``text`` must hold non-blank text. ``published_at`` is
    stored timezone-aware: an ISO 8601 string or a ``datetime`` with an offset keeps it; a
    naive datetime or a bare date (``"2021-10-18"``) is read as UTC. Very long texts are
    accepted as they are; the features read only the first characters of the body (see
    :class:`storycluster.StoryClusterer`), so a 5 MB page costs no more than a normal one.

    >>> Article(id="a1", title="Quake hits Nepal", published_at="2015-04-25").published_at
    datetime.datetime(2015, 4, 25, 0, 0, tzinfo=datetime.timezone.utc)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    title: str | None = None
    text: str | None = None
    url: str | None = None
    source: str | None = None
    published_at: datetime | None = None
    language: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id", mode="before")
    @classmethod
    def _id_from_int(cls, value: Any) -> Any:
        # Integer ids are common in exported datasets; bools are not ids.
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("published_at", mode="before")
    @classmethod
    def _parse_published_at(cls, value: Any) -> Any:
        if value is None or isinstance(value, datetime):
            return value
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
        if isinstance(value, str):
            stripped = value.strip()
            if not stripped:
                return None
            try:
                # fromisoformat accepts "2021-10-18", "2021-10-18T16:15:00-07:00" and,
                # from Python 3.11, a trailing "Z"; normalise "Z" for 3.10.
                return datetime.fromisoformat(stripped.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError(
                    f"published_at {value!r} is not an ISO 8601 date or datetime "
                    "(expected e.g. '2021-10-18' or '2021-10-18T16:15:00-07:00')"
                ) from None
        return value

    @field_validator("published_at")
    @classmethod
    def _make_aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value

    @model_validator(mode="after")
    def _has_content(self) -> Article:
        if not (self.title or "").strip() and not (self.text or "").strip():
            raise ValueError(
                "article has neither a title nor a text: at least one must be non-empty"
            )
        return self

    @property
    def content(self) -> str:
        """Title and text joined by a blank line (the text alone when the title repeats it)."""
        title = (self.title or "").strip()
        text = (self.text or "").strip()
        if not title:
            return text
        if not text or text.startswith(title):
            return text or title
        return f"{title}\n\n{text}"


class EventMember(BaseModel):
    """One article's place in an event."""

    model_config = ConfigDict(frozen=True)

    article_id: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published_at: datetime | None = None
    similarity: float = Field(description="Cosine similarity of the article to its event centroid.")
    is_representative: bool = False
    duplicate_of: str | None = Field(
        default=None, description="Id of the member this one is a near-copy of, if any."
    )


class Event(BaseModel):
    """One event: the articles that report the same real-world happening."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Stable id derived from the member ids: same members, same id.")
    size: int = Field(ge=1)
    representative: Article
    members: list[EventMember]
    first_published: datetime | None = None
    last_published: datetime | None = None
    sources: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    label: str = ""

    @model_validator(mode="after")
    def _size_matches(self) -> Event:
        if self.size != len(self.members):
            raise ValueError(f"size {self.size} != number of members {len(self.members)}")
        return self

    @property
    def article_ids(self) -> list[str]:
        """Ids of the members, in member order (representative first)."""
        return [member.article_id for member in self.members]

    def _span(self) -> str:
        if self.first_published is None or self.last_published is None:
            return ""
        first, last = self.first_published.date(), self.last_published.date()
        return f"{first}" if first == last else f"{first}..{last}"

    def __repr__(self) -> str:
        span = self._span()
        span = f", {span}" if span else ""
        return f"Event(id={self.id!r}, size={self.size}{span}, label={self.label!r})"

    def __str__(self) -> str:
        """One line: id, size, dates and label (never the articles' texts)."""
        unit = "article" if self.size == 1 else "articles"
        parts = [self.id, f"{self.size} {unit}", self._span() or "no dates", self.label]
        return " · ".join(part for part in parts if part)

    def _repr_html_(self) -> str:
        from .viz.html import event_html

        return event_html(self)


class EventMatch(NamedTuple):
    """An event found for a query (:meth:`storycluster.StoryClusterer.find_events`) and its
    score, in background standard deviations: higher is a better match."""

    event: Event
    score: float

    def __str__(self) -> str:
        return f"{self.score:6.2f}  {self.event}"


class ClusteringResult(BaseModel):
    """Events found in a set of articles, with each article's assignment in input order."""

    model_config = ConfigDict(frozen=True)

    events: list[Event]
    article_ids: list[str]
    labels: list[int] = Field(description="Index into ``events`` for each article, input order.")

    @model_validator(mode="before")
    @classmethod
    def _renamed_clusters(cls, data: Any) -> Any:
        if isinstance(data, dict) and "clusters" in data and "events" not in data:
            warnings.warn(
                "ClusteringResult(clusters=...) is deprecated since storycluster 0.2; "
                "use ClusteringResult(events=...)",
                DeprecationWarning,
                stacklevel=2,
            )
            data = {("events" if key == "clusters" else key): value for key, value in data.items()}
        return data

    @property
    def clusters(self) -> list[Event]:
        """Deprecated alias of :attr:`events`."""
        warnings.warn(
            "ClusteringResult.clusters is deprecated since storycluster 0.2; use .events",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.events

    @model_validator(mode="after")
    def _lengths_match(self) -> ClusteringResult:
        if len(self.article_ids) != len(self.labels):
            raise ValueError("article_ids and labels must have the same length")
        return self

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[Event]:  # type: ignore[override]
        return iter(self.events)

    def __getitem__(self, index: int) -> Event:
        return self.events[index]

    def event_of(self, article_id: str) -> Event:
        """The event an article belongs to; ``KeyError`` for an unknown id."""
        try:
            position = self.article_ids.index(article_id)
        except ValueError:
            raise KeyError(f"no article with id {article_id!r} in this result") from None
        return self.events[self.labels[position]]

    def __str__(self) -> str:
        """The summary line and one line per event, the ten largest (no article texts)."""
        lines = [repr(self)]
        lines += [f"  {event}" for event in self.events[:_STR_EVENTS]]
        if len(self.events) > _STR_EVENTS:
            lines.append(f"  ... and {len(self.events) - _STR_EVENTS} more events")
        return "\n".join(lines)

    def __repr__(self) -> str:
        sizes = [event.size for event in self.events]
        singletons = sum(1 for size in sizes if size == 1)
        return (
            f"ClusteringResult({len(self.article_ids)} articles, {len(sizes)} events, "
            f"largest {max(sizes, default=0)}, {singletons} singletons)"
        )

    def to_dataframe(self, articles: Sequence[Article] | None = None) -> Any:
        """One row per article (event id, representative flag, similarity, ...) as a pandas
        DataFrame; pass the articles to add their title, source and date. Needs pandas."""
        from .io import result_to_dataframe

        return result_to_dataframe(self, articles)

    def _repr_html_(self) -> str:
        from .viz.html import result_html

        return result_html(self)


#: 0.1 names, answered with a ``DeprecationWarning`` until 0.3.
__getattr__ = renamed(__name__, {"ClusterMember": "EventMember", "StoryCluster": "Event"})
