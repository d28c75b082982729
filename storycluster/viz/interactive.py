"""Interactive views of events with Plotly: a document map, events over time, the hierarchy.

Plotly is optional (``pip install "storycluster[plotly]"``, included in ``[notebook]``) and is
imported only when a function here is called. Each function returns a
:class:`plotly.graph_objects.Figure` and shows nothing: a figure left as a notebook cell's value
renders there, ``fig.show()`` opens it elsewhere, ``fig.write_html(path)`` saves a page.
The static matplotlib versions, for reports, are in :mod:`storycluster.viz.plots`.

Every function takes a fitted :class:`~storycluster.StoryClusterer` or what it is made of (a
:class:`~storycluster.ClusteringResult`, and the embeddings for the map). Titles, sources and
dates come from the events' members, so no article texts are needed.

==========================  ===============================================================
:func:`document_map`        articles in 2-D (PCA or t-SNE of the embeddings), coloured by
                            event; hover shows title, source, date and event label
:func:`events_over_time`    articles per event per day (or week, month), largest events
:func:`event_hierarchy`     a treemap (or sunburst) of events sized by articles, under their
                            stories when the result has stories
==========================  ===============================================================
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from ..models import ClusteringResult, Event, EventMember

if TYPE_CHECKING:
    from plotly.graph_objects import Figure

__all__ = ["document_map", "event_hierarchy", "events_over_time"]

#: Characters of an event label shown in a legend or a tile.
_LABEL_CHARS = 60
_GREY = "#c8c8c8"
_FREQS = ("D", "W", "M")


def _require_plotly(function: str) -> Any:
    try:
        import plotly.graph_objects as go
    except ImportError as exc:
        raise ImportError(f'{function}() needs plotly: pip install "storycluster[plotly]"') from exc
    return go


def _palette() -> list[str]:
    from plotly.colors import qualitative

    return list(qualitative.Dark24) + list(qualitative.Light24)


def _short(text: str, limit: int = _LABEL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _esc(value: object) -> str:
    """Escaped for Plotly's hover text, which reads a little HTML."""
    return html.escape(str(value), quote=False)


def _name(event: Event) -> str:
    rep = event.representative
    return event.label or rep.title or rep.text or event.id


def _day(value: datetime | None) -> str:
    return "no date" if value is None else value.date().isoformat()


def _result(value: Any, function: str) -> ClusteringResult:
    result = getattr(value, "result_", value)
    if not isinstance(result, ClusteringResult):
        raise TypeError(
            f"{function}() takes a fitted StoryClusterer or a ClusteringResult, got "
            f"{type(value).__name__}"
        )
    return result


def document_map(
    model_or_embeddings: Any,
    result: ClusteringResult | None = None,
    *,
    method: str = "pca",
    top: int = 20,
    seed: int = 0,
) -> Figure:
    """The articles as points in 2-D, the ``top`` largest events in colour, the rest grey.

    Call it with a fitted model, ``document_map(model)``, or with embeddings and a result,
    ``document_map(model.embeddings_, model.result_)``. ``method`` is ``"pca"`` (fast,
    deterministic) or ``"tsne"`` (scikit-learn t-SNE with ``random_state=seed``; keeps local
    neighbourhoods). Hovering a point shows the article's title, source and date and its
    event's label and size; clicking a legend entry hides or isolates an event. Only events of
    two or more articles are coloured.
    """
    go = _require_plotly("document_map")
    from .plots import _project

    if result is None:
        embeddings = getattr(model_or_embeddings, "embeddings_", None)
        result = _result(model_or_embeddings, "document_map")
        if embeddings is None:
            raise TypeError("document_map() needs embeddings: pass a fitted model")
    else:
        embeddings = model_or_embeddings
        result = _result(result, "document_map")
    if method not in ("pca", "tsne"):
        raise ValueError(f'method must be "pca" or "tsne", got {method!r}')
    if top < 0:
        raise ValueError(f"top must be >= 0, got {top}")
    points = np.asarray(embeddings, dtype=np.float64)
    if points.ndim != 2 or points.shape[0] != len(result.article_ids):
        raise ValueError(
            f"embeddings must have one row per article ({len(result.article_ids)}), "
            f"got shape {points.shape}"
        )
    if points.shape[0] == 0:
        raise ValueError("no articles to plot")
    xy = _project(points, method, seed)
    labels = np.asarray(result.labels)
    members: dict[str, EventMember] = {
        member.article_id: member for event in result.events for member in event.members
    }
    shown = [k for k, event in enumerate(result.events) if event.size >= 2][:top]

    def hover(rows: np.ndarray) -> list[str]:
        texts = []
        for row in rows.tolist():
            article_id = result.article_ids[row]
            member = members.get(article_id)
            event = result.events[labels[row]]
            title = (member.title if member else None) or article_id
            details = [member.source or "", _day(member.published_at)] if member else []
            line = " · ".join(part for part in details if part)
            texts.append(
                f"<b>{_esc(_short(title, 90))}</b><br>{_esc(line)}<br>"
                f"event: {_esc(_short(_name(event)))} ({event.size})"
            )
        return texts

    fig = go.Figure()
    rest = ~np.isin(labels, shown)
    if rest.any():
        rows = np.flatnonzero(rest)
        fig.add_trace(
            go.Scatter(
                x=xy[rows, 0],
                y=xy[rows, 1],
                mode="markers",
                name=f"other events ({len(set(labels[rows].tolist()))})",
                marker={"size": 5, "color": _GREY},
                hovertext=hover(rows),
                hoverinfo="text",
            )
        )
    colours = _palette()
    for rank, k in enumerate(shown):
        rows = np.flatnonzero(labels == k)
        event = result.events[k]
        fig.add_trace(
            go.Scatter(
                x=xy[rows, 0],
                y=xy[rows, 1],
                mode="markers",
                name=f"{_esc(_short(_name(event), 40))} ({event.size})",
                marker={
                    "size": 8,
                    "color": colours[rank % len(colours)],
                    "line": {"width": 0.5, "color": "white"},
                },
                hovertext=hover(rows),
                hoverinfo="text",
            )
        )
    axis = "PC" if method == "pca" else "t-SNE "
    fig.update_layout(
        title=f"{points.shape[0]} articles, {len(shown)} largest events in colour "
        f"({method.upper()})",
        xaxis={"title": f"{axis}1", "showticklabels": False, "zeroline": False},
        yaxis={"title": f"{axis}2", "showticklabels": False, "zeroline": False},
        legend={"itemsizing": "constant", "font": {"size": 11}},
        template="plotly_white",
        height=600,
    )
    return fig


def _bucket(day: date, freq: str) -> date:
    if freq == "W":
        return day - timedelta(days=day.weekday())
    if freq == "M":
        return day.replace(day=1)
    return day


def _step(day: date, freq: str, n: int) -> date:
    if freq == "D":
        return day + timedelta(days=n)
    if freq == "W":
        return day + timedelta(weeks=n)
    month = day.month - 1 + n
    return date(day.year + month // 12, month % 12 + 1, 1)


def events_over_time(
    model_or_result: Any,
    *,
    top: int = 10,
    freq: str = "D",
) -> Figure:
    """Articles per event per day (``freq="D"``), week (``"W"``, from Monday) or month
    (``"M"``), for the ``top`` largest dated events; one line per event.

    Days are UTC. Each line drops to zero the period before the event's first article and
    after its last. Events without dates cannot be placed; the title says how many are left
    out. A range slider under the axis zooms into one period.
    """
    go = _require_plotly("events_over_time")
    if freq not in _FREQS:
        raise ValueError(f"freq must be one of {', '.join(_FREQS)}, got {freq!r}")
    if top < 1:
        raise ValueError(f"top must be >= 1, got {top}")
    result = _result(model_or_result, "events_over_time")
    dated = [e for e in result.events if any(m.published_at for m in e.members)]
    chosen = sorted(dated, key=lambda e: -e.size)[:top]
    fig = go.Figure()
    colours = _palette()
    for rank, event in enumerate(chosen):
        counts = Counter(
            _bucket(m.published_at.astimezone(UTC).date(), freq)
            for m in event.members
            if m.published_at is not None
        )
        first, last = min(counts), max(counts)
        periods = [_step(first, freq, -1)]
        while periods[-1] <= last:
            periods.append(_step(periods[-1], freq, 1))
        name = _short(_name(event), 40)
        fig.add_trace(
            go.Scatter(
                x=[p.isoformat() for p in periods],
                y=[counts.get(p, 0) for p in periods],
                mode="lines+markers",
                name=f"{_esc(name)} ({event.size})",
                line={"color": colours[rank % len(colours)], "shape": "linear"},
                hovertemplate=f"{_esc(name)}<br>%{{x}}: %{{y}} articles<extra></extra>",
            )
        )
    unit = {"D": "day", "W": "week", "M": "month"}[freq]
    notes = []
    if len(dated) > len(chosen):
        notes.append(f"the {len(chosen)} largest of {len(dated)} dated events")
    if len(dated) < len(result.events):
        notes.append(f"{len(result.events) - len(dated)} events without dates not shown")
    title = f"Articles per event per {unit}"
    if notes:
        title += f"<br><sup>{_esc('; '.join(notes))}</sup>"
    fig.update_layout(
        title=title,
        xaxis={"type": "date", "rangeslider": {"visible": True}},
        yaxis={"title": f"articles per {unit}", "rangemode": "tozero"},
        legend={"font": {"size": 11}},
        template="plotly_white",
        height=520,
    )
    if not chosen:
        fig.add_annotation(text="no events with publication dates", showarrow=False)
    return fig


def _event_hover(event: Event) -> str:
    first, last = _day(event.first_published), _day(event.last_published)
    span = first if first == last else f"{first} \u2013 {last}"
    keywords = ", ".join(event.keywords[:6]) or "none"
    return (
        f"<b>{_esc(_short(_name(event), 90))}</b><br>{event.size} articles · {_esc(span)}"
        f"<br>keywords: {_esc(keywords)}<br>{_esc(event.id)}"
    )


def event_hierarchy(
    model_or_result: Any,
    *,
    top: int = 40,
    kind: str = "treemap",
) -> Figure:
    """Events as tiles sized by their articles, under their stories when there are stories.

    Without stories: the ``top`` largest events (the rest share one "other events" tile).
    With stories (a result whose ``stories`` is set): the ``top`` largest stories, each with
    its events (a story of one event is shown as that event; the rest share one "other
    stories" tile). ``kind`` is ``"treemap"`` or
    ``"sunburst"``. Hovering a tile shows its label, size, dates and keywords; clicking it
    zooms in.
    """
    go = _require_plotly("event_hierarchy")
    if kind not in ("treemap", "sunburst"):
        raise ValueError(f'kind must be "treemap" or "sunburst", got {kind!r}')
    if top < 1:
        raise ValueError(f"top must be >= 1, got {top}")
    result = _result(model_or_result, "event_hierarchy")
    stories: Sequence[Any] | None = getattr(result, "stories", None) or None
    ids: list[str] = []
    parents: list[str] = []
    names: list[str] = []
    values: list[int] = []
    hovers: list[str] = []
    total = sum(event.size for event in result.events)

    def add(node: str, parent: str, name: str, value: int, hover: str) -> None:
        ids.append(node)
        parents.append(parent)
        names.append(name)
        values.append(value)
        hovers.append(hover)

    root = "all"
    by_id = {event.id: event for event in result.events}
    if stories is None:
        add(root, "", f"{len(result.events)} events", total, f"{total} articles")
        for event in result.events[:top]:
            add(event.id, root, _esc(_short(_name(event), 40)), event.size, _event_hover(event))
        rest = result.events[top:]
        level = "events"
    else:
        add(
            root,
            "",
            f"{len(stories)} stories, {len(result.events)} events",
            total,
            f"{total} articles",
        )
        for story in stories[:top]:
            if len(story.events) == 1:  # a story of one event: the event alone
                event = by_id[story.events[0]]
                add(event.id, root, _esc(_short(_name(event), 40)), event.size, _event_hover(event))
                continue
            node = f"story:{story.id}"
            story_hover = (
                f"<b>{_esc(_short(story.label or story.id, 90))}</b><br>story · "
                f"{len(story.events)} events · {story.size} articles"
            )
            add(node, root, _esc(_short(story.label or story.id, 40)), story.size, story_hover)
            for event_id in story.events:
                event = by_id[event_id]
                add(event.id, node, _esc(_short(_name(event), 40)), event.size, _event_hover(event))
        rest = list(stories[top:])
        level = "stories"
    if rest:
        size = sum(item.size for item in rest)
        add(
            f"other {level}",
            root,
            f"{len(rest)} other {level}",
            size,
            f"{len(rest)} smaller {level} · {size} articles",
        )
    trace = go.Treemap if kind == "treemap" else go.Sunburst
    fig = go.Figure(
        trace(
            ids=ids,
            parents=parents,
            labels=names,
            values=values,
            branchvalues="total",
            hovertext=hovers,
            hoverinfo="text",
            text=[f"{value} article{'s' if value != 1 else ''}" for value in values],
            texttemplate="%{label}<br>%{text}",
            maxdepth=3,
        )
    )
    what = "Stories and events" if stories is not None else "Events"
    fig.update_layout(
        title=f"{what} by articles", margin={"t": 50, "l": 10, "r": 10, "b": 10}, height=600
    )
    return fig
