"""The one event-id scheme of batch, stream and engines: an event is named after its founder.

An event's *founder* is the article that opened it: in a stream, the article whose arrival
created the event; in a batch run or on an engine, which see the whole partition at once, the
earliest member (publication time; undated articles after dated ones; ties and undated
members by smallest id), i.e. the article a stream replayed in time order would have opened it
with. The id is ``"ev_"`` and the first 16 hex digits of the BLAKE2b hash of the founder's id
(:func:`event_id`).

Why the founder, and not a hash of every member id: an event that gains or loses a late member
keeps its name, so ids stay stable while a stream or a re-run adds articles; a batch run gives
the same ids for the same input whatever its order. A stream's ids are fixed when the event
opens; after a merge the older event's id survives (the event with the earlier first article;
ties: the one opened first), so a merged event is still named after its founder. Article ids
are unique within a run, so two events never share a founder. Stories (groups of events) follow
the same scheme with the prefix ``"st_"`` (:func:`story_id`): a story is named after the earliest
article of all its events, so it keeps its name while later events join it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

__all__ = ["STORY_PREFIX", "event_id", "founder", "story_id", "story_id_for_event"]

#: Prefix of every event id.
PREFIX = "ev_"


def event_id(founder_id: str) -> str:
    """The id of the event founded by the article ``founder_id``.

    >>> event_id("a1")
    'ev_9f6566910330ed1b'
    """
    digest = hashlib.blake2b(founder_id.encode("utf-8"), digest_size=8).hexdigest()
    return f"{PREFIX}{digest}"


#: Prefix of every story id.
STORY_PREFIX = "st_"


def story_id(founder_id: str) -> str:
    """The id of the story founded by the article ``founder_id``: a story (a group of events)
    is named after its founder as an event is, the earliest article of all its events.

    >>> story_id("a1")
    'st_9f6566910330ed1b'
    """
    digest = hashlib.blake2b(founder_id.encode("utf-8"), digest_size=8).hexdigest()
    return f"{STORY_PREFIX}{digest}"


def story_id_for_event(event: str) -> str:
    """The id of the story founded by the event ``event``: the story of its founder article,
    ``story_id(founder) == story_id_for_event(event_id(founder))``.

    >>> story_id_for_event(event_id("a1")) == story_id("a1")
    True
    """
    if not event.startswith(PREFIX):
        raise ValueError(f"not an event id: {event!r}")
    return f"{STORY_PREFIX}{event[len(PREFIX) :]}"


def founder(ids: Sequence[str], published: Sequence[datetime | None]) -> int:
    """Position of the founder among members with these ids and publication times: the
    earliest dated member, ties by smallest id; the smallest id when none is dated."""
    if not ids:
        raise ValueError("an event has at least one member")

    def key(position: int) -> tuple[bool, datetime | None, str]:
        # Dated members first; the time is compared only between two dated members.
        when = published[position]
        return (when is None, when, ids[position])

    return min(range(len(ids)), key=key)
