"""Typed records that enter and leave storycluster: articles in, events out.

Pydantic objects live at the edges only; the clustering itself works on numpy arrays.
"""

from __future__ import annotations

import numbers
import re
import uuid
import warnings
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ._compat import renamed

__all__ = [
    "Article",
    "ClusteringResult",
    "Event",
    "EventMatch",
    "EventMember",
    "Story",
    "normalize_id",
]

#: Longest id accepted, in characters. Ids are keys in outputs and state files, not payloads.
MAX_ID_CHARS = 1_000
#: Events listed by ``str(result)``.
_STR_EVENTS = 10
#: Earliest ``published_at`` accepted; later than now by more than :data:`MAX_FUTURE` is refused.
EARLIEST_DATE = datetime(1700, 1, 1, tzinfo=UTC)
#: How far in the future a publication date may lie (clock skew, time zones).
MAX_FUTURE = timedelta(days=1)

_SURROGATE = re.compile("[\ud800-\udfff]")
# Time-zone abbreviations read in dates like "Oct 18, 2021 4:15 PM EDT" (UTC offsets in hours).
_TZ_HOURS = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 1, "CET": 1, "WEST": 1, "CEST": 2, "EET": 2,
    "EEST": 3, "MSK": 3, "IST": 5.5, "JST": 9, "AEST": 10, "AEDT": 11,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}  # fmt: skip


def normalize_id(value: Any) -> str:
    """The article id that ``value`` stands for: every id passes through here, on input and in
    every lookup (``event_of``), so ``7`` and ``"7"`` name the same article.

    A string is kept as it is; an integer (Python or NumPy, not a bool) becomes its decimal
    string; a :class:`uuid.UUID` its canonical string. Anything else, a blank string, a string
    longer than :data:`MAX_ID_CHARS` or one holding a lone surrogate (invalid Unicode) is a
    ``ValueError`` saying why (its message follows ``"id: "``).

    >>> normalize_id(7), normalize_id("a-1")
    ('7', 'a-1')
    """
    if isinstance(value, str):
        text = value
    elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
        text = str(int(value))
    elif isinstance(value, uuid.UUID):
        text = str(value)
    elif isinstance(value, float) and value.is_integer():
        raise ValueError(
            f"expected a string or an integer, got float {value!r} (an integer id column "
            "with a missing value is read as floats: fill or drop the rows without an id)"
        )
    elif value is None:
        raise ValueError("missing (expected a string or an integer)")
    else:
        kind = type(value).__name__
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        raise ValueError(f"expected a string or an integer, got {kind} {shown}")
    if not text.strip():
        raise ValueError("empty or blank")
    if len(text) > MAX_ID_CHARS:
        raise ValueError(f"{len(text)} characters long; at most {MAX_ID_CHARS} are allowed")
    if _SURROGATE.search(text):
        raise ValueError(f"{text!r} holds a lone surrogate (invalid Unicode)")
    return text


def _repair_text(value: str | None) -> str | None:
    """``value`` with each lone surrogate (invalid Unicode that cannot be written as UTF-8,
    e.g. from a JSON ``"\\ud800"``) replaced by U+FFFD, as undecodable bytes are."""
    if value is None or value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", value)
    return value


def _parse_date(text: str) -> datetime:
    """A date or datetime string: ISO 8601, else a common format read by python-dateutil
    ("Oct 18, 2021 4:15 PM", "18 October 2021", RFC 2822 "Mon, 18 Oct 2021 16:15:00 GMT",
    "10/18/2021", read month first). A date missing its year, month or day is refused."""
    try:
        # fromisoformat accepts "2021-10-18", "2021-10-18T16:15:00-07:00" and a trailing "Z";
        # "Z" is written as "+00:00" first, as it always was, so odd placements read the same.
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    from dateutil import parser
    from dateutil.tz import UTC, tzoffset

    tzinfos = {
        name: UTC if hours == 0 else tzoffset(name, int(hours * 3600))
        for name, hours in _TZ_HOURS.items()
    }
    problem = "is not a date this library can read"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", parser.UnknownTimezoneWarning)
            # Parsed with two defaults: a date that takes a part from the default is incomplete.
            first = parser.parse(text, default=datetime(2000, 1, 1), tzinfos=tzinfos)
            second = parser.parse(text, default=datetime(2001, 2, 2), tzinfos=tzinfos)
    except parser.UnknownTimezoneWarning as warning:
        name = str(warning).split()[1] if len(str(warning).split()) > 1 else "?"
        problem = f"has a time zone this library does not know ({name}); give a UTC offset"
    except (ValueError, OverflowError):
        pass
    else:
        if first.date() == second.date():
            return first
        problem = "is not a full date (year, month and day)"
    raise ValueError(
        f"{text!r} {problem} (expected e.g. '2021-10-18', "
        "'2021-10-18T16:15:00-07:00' or 'Oct 18, 2021 4:15 PM')"
    )


class Article(BaseModel):
    """One news article (or any short document) to be clustered.

    At least one of ``title`` and ``text`` must hold non-blank text. ``published_at`` is
    stored timezone-aware: an ISO 8601 string or a ``datetime`` with an offset keeps it; a
    naive datetime or a bare date (``"2021-10-18"``) is read as UTC; other common formats
    ("Oct 18, 2021 4:15 PM", RFC 2822) are read with python-dateutil, a number as a Unix
    time (seconds; milliseconds when too large for seconds), a NumPy ``datetime64`` as UTC.
    A date before 1700 or more than a day in the future is refused: it is a bad value, and it
    would skew every time gap it meets. The id goes through :func:`normalize_id` (``7``
    becomes ``"7"``). A lone surrogate in a text field (invalid Unicode, e.g. a JSON
    ``"\\ud800"``) is replaced by U+FFFD, so the text can be embedded, cached and written.
    Very long texts are accepted as they are; the features read only the first characters of
    title and body (see
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
    def _normalize_id(cls, value: Any) -> Any:
        return normalize_id(value)

    @field_validator("title", "text", "url", "source", "language")
    @classmethod
    def _repair(cls, value: str | None) -> str | None:
        return _repair_text(value)

    @field_validator("published_at", mode="before")
    @classmethod
    def _parse_published_at(cls, value: Any) -> Any:
        if value is None or isinstance(value, datetime):
            return value
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        if isinstance(value, str):
            stripped = value.strip()
            return _parse_date(stripped) if stripped else None
        if str(getattr(value, "dtype", "")).startswith("datetime64"):  # numpy, NaT -> None
            return value.astype("datetime64[us]").item()
        return value

    @field_validator("published_at")
    @classmethod
    def _make_aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        try:
            utc = value.astimezone(UTC)
        except (OverflowError, ValueError):
            utc = None
        latest = datetime.now(UTC) + MAX_FUTURE
        if utc is None or not EARLIEST_DATE <= utc <= latest:
            raise ValueError(
                f"{value.isoformat()} is out of range: a publication date must "
                f"lie between {EARLIEST_DATE.year} and one day from now (a far-future date "
                "would skew every time gap it meets); fix it or leave it out"
            )
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

    id: str = Field(
        description="Named after the event's founding article (``ev_`` and a hash of its id), "
        "so it stays the same when later articles join."
    )
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


class Story(BaseModel):
    """One story: the events that belong to one longer thread (one trial, one war, one crisis).

    Every event belongs to exactly one story; a story of one event is common. ``events`` lists
    the event ids in time order (undated events last); the representative event is the
    story's largest, and its representative article and label stand for the story.
    """

    model_config = ConfigDict(frozen=True)

    id: str = Field(
        description="Named after the story's founding article (``st_`` and a hash of its id), "
        "as an event is, so it stays the same when later events join."
    )
    size: int = Field(ge=1, description="Articles in the story's events.")
    events: list[str] = Field(min_length=1, description="Event ids, earliest first.")
    representative_event: str
    representative: Article
    label: str = ""
    keywords: list[str] = Field(default_factory=list)
    first_published: datetime | None = None
    last_published: datetime | None = None
    sources: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _representative_is_member(self) -> Story:
        if self.representative_event not in self.events:
            raise ValueError(
                f"representative_event {self.representative_event!r} is not among the events"
            )
        return self

    @property
    def n_events(self) -> int:
        """Number of events in the story."""
        return len(self.events)

    def __repr__(self) -> str:
        span = ""
        if self.first_published is not None and self.last_published is not None:
            first, last = self.first_published.date(), self.last_published.date()
            span = f", {first}" if first == last else f", {first}..{last}"
        return (
            f"Story(id={self.id!r}, events={self.n_events}, size={self.size}{span}, "
            f"label={self.label!r})"
        )

    def _repr_html_(self) -> str:
        from .viz.html import story_html

        return story_html(self)


class ClusteringResult(BaseModel):
    """Events found in a set of articles, with each article's assignment in input order."""

    model_config = ConfigDict(frozen=True)

    events: list[Event]
    article_ids: list[str]
    labels: list[int] = Field(description="Index into ``events`` for each article, input order.")
    stories: list[Story] = Field(
        default_factory=list, description="Stories: groups of the events, largest first."
    )
    story_labels: list[int] | None = Field(
        default=None, description="Index into ``stories`` for each article, input order."
    )

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
        if self.story_labels is not None and len(self.story_labels) != len(self.labels):
            raise ValueError("story_labels and labels must have the same length")
        return self

    def story_of(self, article_id: str) -> Story:
        """The story an article belongs to; ``KeyError`` for an unknown id or a result
        without stories."""
        if self.story_labels is None:
            raise KeyError("this result has no stories")
        try:
            position = self.article_ids.index(article_id)
        except ValueError:
            raise KeyError(f"no article with id {article_id!r} in this result") from None
        return self.stories[self.story_labels[position]]

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[Event]:  # type: ignore[override]
        return iter(self.events)

    def __getitem__(self, index: int) -> Event:
        return self.events[index]

    def event_of(self, article_id: str | int) -> Event:
        """The event an article belongs to; the id is read as input ids are
        (:func:`normalize_id`: ``7`` finds ``"7"``). ``KeyError`` for an unknown id."""
        try:
            key = normalize_id(article_id)
        except ValueError as exc:
            raise KeyError(f"no article with id {article_id!r} in this result ({exc})") from None
        try:
            position = self.article_ids.index(key)
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
