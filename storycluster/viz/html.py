"""Rich HTML views of events and stories for Jupyter: one :class:`Event`, one :class:`Story`
with its events, or a whole result.

:func:`event_html`, :func:`story_html` and :func:`result_html` return self-contained HTML
fragments: inline styles only (no ``<style>`` block, no JavaScript), so they render the same in
Jupyter, VS Code, GitHub's notebook viewer and a plain browser. Every value that comes from the
input (titles, sources, keywords, ids, URLs) is passed through :func:`html.escape`; links are
made only for ``http``/``https`` URLs.

>>> from storycluster.models import Article, EventMember, Event
>>> rep = Article(id="a1", title="Quake <M6.1> hits Sumatra", published_at="2009-09-30")
>>> member = EventMember(article_id="a1", title=rep.title, similarity=1.0)
>>> event = Event(id="ev_1", size=1, representative=rep, members=[member])
>>> "Quake &lt;M6.1&gt; hits Sumatra" in event_html(event)
True
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from .._compat import renamed
from ..models import ClusteringResult, Event, EventMember, Story

__all__ = ["event_html", "result_html", "story_html"]

#: Characters of a title shown before it is cut with an ellipsis.
_MAX_TITLE = 140
#: Sources and keywords listed before "+N more".
_MAX_SOURCES = 6
_MAX_KEYWORDS = 8
_DASH = "\u2013"  # en dash

_FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
_BOX = (
    f"{_FONT};font-size:13px;line-height:1.45;color:#1f2328;border:1px solid #d0d7de;"
    "border-radius:6px;padding:10px 14px;margin:6px 0;max-width:900px;background:#ffffff"
)
_BADGE = (
    "display:inline-block;padding:1px 8px;border-radius:10px;background:#0969da;color:#ffffff;"
    "font-size:12px;font-weight:600;margin-right:8px;vertical-align:middle"
)
_CHIP = (
    "display:inline-block;padding:0 6px;margin:1px 3px 1px 0;border-radius:4px;"
    "background:#ddf4ff;color:#0a3069;font-size:12px"
)
_MUTED = "color:#59636e"
_TH = "text-align:left;padding:4px 8px;border-bottom:2px solid #d0d7de;white-space:nowrap"
_TD = "padding:4px 8px;border-top:1px solid #eaeef2;vertical-align:top;text-align:left"


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _short(text: str | None, limit: int = _MAX_TITLE) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _date(value: datetime | None) -> str:
    return "" if value is None else value.date().isoformat()


def _span(event: Event | Story) -> str:
    """``2009-09-30``, ``2009-09-30 to 2009-10-02 (2 days)`` (en dash) or ``no dates``."""
    first, last = event.first_published, event.last_published
    if first is None or last is None:
        return "no dates"
    if first.date() == last.date():
        return first.date().isoformat()
    days = (last.date() - first.date()).days
    unit = "day" if days == 1 else "days"
    return f"{first.date().isoformat()} {_DASH} {last.date().isoformat()} ({days} {unit})"


def _title(event: Event) -> str:
    rep = event.representative
    return _short(event.label or rep.title or rep.text or rep.id)


def _more(items: Sequence[str], limit: int) -> tuple[list[str], int]:
    return list(items[:limit]), max(0, len(items) - limit)


def _sources(event: Event | Story) -> str:
    if not event.sources:
        return f'<span style="{_MUTED}">no sources</span>'
    shown, more = _more(event.sources, _MAX_SOURCES)
    text = ", ".join(_esc(source) for source in shown)
    if more:
        text += f' <span style="{_MUTED}">+{more} more</span>'
    return text


def _keywords(event: Event | Story) -> str:
    if not event.keywords:
        return f'<span style="{_MUTED}">none</span>'
    shown, _ = _more(event.keywords, _MAX_KEYWORDS)
    return "".join(f'<span style="{_CHIP}">{_esc(word)}</span>' for word in shown)


def _plain(items: Sequence[str], limit: int) -> str:
    """Items as escaped comma-separated text (compact, for table cells)."""
    if not items:
        return _DASH
    shown, more = _more(items, limit)
    return _esc(", ".join(shown)) + (f" +{more}" if more else "")


def _link(text: str, url: str | None) -> str:
    """``text`` (already escaped) as a link when ``url`` is an http(s) URL."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return (
            f'<a href="{_esc(url.strip())}" target="_blank" rel="noopener noreferrer" '
            f'style="color:#0969da;text-decoration:none">{text}</a>'
        )
    return text


def _member(member: EventMember) -> str:
    title = _link(_esc(_short(member.title or member.article_id)), member.url)
    details = [part for part in (member.source, _date(member.published_at)) if part]
    suffix = f' <span style="{_MUTED}">— {_esc(", ".join(details))}</span>' if details else ""
    star = " ★" if member.is_representative else ""
    return f'<li style="margin:1px 0">{title}{suffix}{star}</li>'


def event_html(event: Event, *, max_members: int = 5) -> str:
    """One event as an HTML card.

    Shows the event's label (the representative's title), its size, time span, sources and
    keywords, and the titles of its first ``max_members`` members (representative first, marked
    ★) with outlet and date, then how many more there are. All input text is escaped.
    """
    if not isinstance(event, Event):
        raise TypeError(f"event_html() takes an Event, got {type(event).__name__}")
    if max_members < 0:
        raise ValueError(f"max_members must be >= 0, got {max_members}")
    noun = "article" if event.size == 1 else "articles"
    members = "".join(_member(m) for m in event.members[:max_members])
    hidden = len(event.members) - min(max_members, len(event.members))
    if hidden:
        members += f'<li style="{_MUTED};list-style:none">… and {hidden} more</li>'
    member_list = (
        f'<ul style="margin:6px 0 0 0;padding-left:20px">{members}</ul>' if members else ""
    )
    n_sources = len(event.sources)
    source_label = "source" if n_sources == 1 else "sources"
    return (
        f'<div class="storycluster-event" style="{_BOX}">'
        f'<div style="font-size:15px;font-weight:600;margin-bottom:4px">'
        f'<span style="{_BADGE}">{event.size} {noun}</span>{_esc(_title(event))}</div>'
        f'<div style="{_MUTED};font-size:12px;margin-bottom:4px">'
        f"{_esc(event.id)} · {_esc(_span(event))}</div>"
        f"<div><b>{n_sources} {source_label}:</b> {_sources(event)}</div>"
        f"<div><b>Keywords:</b> {_keywords(event)}</div>"
        f"{member_list}</div>"
    )


def _story_events(
    story: Story, events: ClusteringResult | Mapping[str, Event] | Iterable[Event] | None
) -> list[Event] | None:
    """The story's events in its order (earliest first), or None when none are given."""
    if events is None:
        return None
    if isinstance(events, ClusteringResult):
        by_id = {event.id: event for event in events.events}
    elif isinstance(events, Mapping):
        by_id = dict(events)
    else:
        by_id = {event.id: event for event in events}
    missing = [e for e in story.events if e not in by_id]
    if missing:
        raise ValueError(f"events of story {story.id!r} not given: {', '.join(missing[:5])}")
    return [by_id[e] for e in story.events]


def story_html(
    story: Story,
    events: ClusteringResult | Mapping[str, Event] | Iterable[Event] | None = None,
    *,
    max_events: int = 10,
    max_members: int = 3,
) -> str:
    """One story as an HTML card with its events.

    Shows the story's label (its largest event's), how many events and articles it holds, its
    time span, sources and keywords, then its first ``max_events`` events in time order (the
    representative event marked ★), each with its size, span and first ``max_members`` article
    titles. ``events`` (a :class:`ClusteringResult`, the events, or a mapping id -> event) gives
    the event details; without it the events are listed by id. All input text is escaped.
    """
    if not isinstance(story, Story):
        raise TypeError(f"story_html() takes a Story, got {type(story).__name__}")
    if max_events < 0 or max_members < 0:
        raise ValueError("max_events and max_members must be >= 0")
    found = _story_events(story, events)
    items = []
    for index, event_id in enumerate(story.events[:max_events]):
        star = " ★" if event_id == story.representative_event else ""
        if found is None:
            items.append(f'<li style="margin:2px 0">{_esc(event_id)}{star}</li>')
            continue
        event = found[index]
        noun = "article" if event.size == 1 else "articles"
        titles = "".join(_member(m) for m in event.members[:max_members])
        hidden = event.size - min(max_members, event.size)
        if hidden:
            titles += f'<li style="{_MUTED};list-style:none">… and {hidden} more</li>'
        items.append(
            f'<li style="margin:4px 0"><b>{_esc(_short(_title(event), 110))}</b>{star} '
            f'<span style="{_MUTED}">— {event.size} {noun}, {_esc(_span(event))}</span>'
            f'<ul style="margin:2px 0 0 0;padding-left:18px;font-size:12px">{titles}</ul></li>'
        )
    hidden_events = story.n_events - min(max_events, story.n_events)
    if hidden_events:
        items.append(f'<li style="{_MUTED};list-style:none">… and {hidden_events} more events</li>')
    event_list = (
        f'<ol style="margin:6px 0 0 0;padding-left:22px">{"".join(items)}</ol>' if items else ""
    )
    n_events = "event" if story.n_events == 1 else "events"
    n_articles = "article" if story.size == 1 else "articles"
    n_sources = len(story.sources)
    source_label = "source" if n_sources == 1 else "sources"
    label = story.label or story.representative.title or story.id
    return (
        f'<div class="storycluster-story" style="{_BOX}">'
        f'<div style="font-size:15px;font-weight:600;margin-bottom:4px">'
        f'<span style="{_BADGE}">{story.n_events} {n_events} · {story.size} {n_articles}</span>'
        f"{_esc(_short(label))}</div>"
        f'<div style="{_MUTED};font-size:12px;margin-bottom:4px">'
        f"story {_esc(story.id)} · {_esc(_span(story))}</div>"
        f"<div><b>{n_sources} {source_label}:</b> {_sources(story)}</div>"
        f"<div><b>Keywords:</b> {_keywords(story)}</div>"
        f"{event_list}</div>"
    )


def result_html(
    result: ClusteringResult, *, max_events: int = 20, max_clusters: int | None = None
) -> str:
    """A clustering result as HTML: a summary line and a table of the largest events.

    The summary gives the number of articles, events and singleton events; the table lists the
    ``max_events`` largest events (ties keep the result's order) with their index in
    ``result.events``, size, label, time span, sources and keywords. All input text is escaped.
    ``max_clusters`` is the deprecated 0.1 name of ``max_events``.
    """
    if max_clusters is not None:
        warnings.warn(
            "result_html(max_clusters=...) is deprecated since storycluster 0.2; use max_events",
            DeprecationWarning,
            stacklevel=2,
        )
        max_events = max_clusters
    if not isinstance(result, ClusteringResult):
        raise TypeError(f"result_html() takes a ClusteringResult, got {type(result).__name__}")
    if max_events < 0:
        raise ValueError(f"max_events must be >= 0, got {max_events}")
    events = result.events
    sizes = [c.size for c in events]
    singletons = sum(1 for size in sizes if size == 1)
    summary = (
        f"<b>{len(result.article_ids)}</b> articles · <b>{len(events)}</b> events · "
        f"<b>{singletons}</b> singletons · largest <b>{max(sizes, default=0)}</b>"
    )
    if result.stories:
        summary += f" · <b>{len(result.stories)}</b> stories"
    order = sorted(range(len(events)), key=lambda i: -events[i].size)[:max_events]
    rows = []
    for index in order:
        event = events[index]
        rows.append(
            "<tr>"
            f'<td style="{_TD};{_MUTED}">{index}</td>'
            f'<td style="{_TD};text-align:right;font-weight:600">{event.size}</td>'
            f'<td style="{_TD}">{_esc(_title(event))}</td>'
            f'<td style="{_TD};white-space:nowrap">{_esc(_span(event))}</td>'
            f'<td style="{_TD}">{_plain(event.sources, _MAX_SOURCES)}</td>'
            f'<td style="{_TD}">{_plain(event.keywords, _MAX_KEYWORDS)}</td>'
            "</tr>"
        )
    table = ""
    if rows:
        header = "".join(
            f'<th style="{_TH}">{name}</th>'
            for name in ("#", "size", "event", "time span", "sources", "keywords")
        )
        table = (
            '<table style="border-collapse:collapse;margin-top:8px;font-size:13px">'
            f"<thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )
    footer = ""
    if len(events) > len(order):
        footer = (
            f'<div style="{_MUTED};margin-top:6px">showing the {len(order)} largest of '
            f"{len(events)} events</div>"
        )
    return (
        f'<div class="storycluster-result" style="{_BOX};max-width:1100px">'
        f'<div style="font-size:14px">ClusteringResult: {summary}</div>'
        f"{table}{footer}</div>"
    )


__getattr__ = renamed(__name__, {"cluster_html": "event_html"})
