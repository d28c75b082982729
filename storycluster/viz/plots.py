"""Plots of a clustering: event timeline, one story's events over time, event sizes, and a 2-D
map of the articles.

matplotlib is optional (``pip install "storycluster[plot]"``) and is imported only when a
function here is called; nothing is drawn at import. Each function draws on ``ax`` when one is
given, else on a new figure, and returns the :class:`matplotlib.figure.Figure`. The backend is
left to matplotlib and the user.

In Jupyter a new figure is shown when the cell ends; assign the result (``fig = timeline(r)``)
or end the line with ``;`` so it is not shown a second time as the cell's value.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ..models import ClusteringResult, Event, Story

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["article_map", "size_distribution", "story_timeline", "timeline"]

#: Characters of an event label shown on an axis or in a legend.
_LABEL_CHARS = 48
_GREY = "#c4c4c4"


def _require_matplotlib(function: str) -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f'{function}() needs matplotlib: pip install "storycluster[plot]"'
        ) from exc
    return plt


def _new_axes(plt: Any, ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return cast("Figure", ax.figure), ax
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _events(value: ClusteringResult | Iterable[Event], function: str) -> list[Event]:
    if isinstance(value, ClusteringResult):
        return list(value.events)
    if isinstance(value, Event):
        return [value]
    events = list(value)
    for index, event in enumerate(events):
        if not isinstance(event, Event):
            raise TypeError(
                f"{function}() takes a ClusteringResult or Events; item {index} is "
                f"{type(event).__name__}"
            )
    return events


def _text(label: str, limit: int = _LABEL_CHARS) -> str:
    """A label safe for matplotlib: one line, cut to ``limit``, ``$`` not read as mathtext."""
    text = " ".join(label.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text.replace("$", r"\$")


def _event_name(event: Event) -> str:
    rep = event.representative
    return event.label or rep.title or rep.text or event.id


def _note(ax: Axes, text: str) -> None:
    ax.annotate(
        text,
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(0, -28),
        textcoords="offset points",
        va="top",
        fontsize="small",
        color="#555555",
    )


def timeline(
    result_or_events: ClusteringResult | Iterable[Event],
    *,
    top: int = 20,
    ax: Axes | None = None,
) -> Figure:
    """The ``top`` largest dated events as horizontal bars from first to last publication.

    One row per event, largest at the top, labelled with the event's label (cut short); bar
    colour shows the event's size (colour bar on the right) and dots mark each member's
    publication date. Events without dates cannot be placed and are left out; a note under the
    axes says how many. A one-day event gets a minimum visible width.
    """
    plt = _require_matplotlib("timeline")
    from matplotlib import colormaps
    from matplotlib.colors import Normalize
    from matplotlib.ticker import MaxNLocator

    if top < 1:
        raise ValueError(f"top must be >= 1, got {top}")
    events = _events(result_or_events, "timeline")
    dated = [c for c in events if c.first_published is not None and c.last_published is not None]
    undated = len(events) - len(dated)
    order = sorted(dated, key=lambda c: (-c.size, c.first_published))[:top]
    fig, ax = _new_axes(plt, ax, (10, max(2.5, 0.38 * len(order) + 1.4)))
    notes = []
    if len(dated) > len(order):
        notes.append(f"showing the {len(order)} largest of {len(dated)} dated events")
    if undated:
        notes.append(f"{undated} of {len(events)} events have no dates and are not shown")
    if not order:
        ax.text(0.5, 0.5, "no events with publication dates", ha="center", va="center")
        ax.set_axis_off()
        if notes:
            _note(ax, "; ".join(notes))
        return fig

    sizes = np.array([c.size for c in order])
    norm = Normalize(vmin=min(1, int(sizes.min())), vmax=max(int(sizes.max()), 2))
    cmap = colormaps["viridis_r"]
    _event_rows(ax, order, cmap(norm(sizes)), height=0.6, dot_size=10, alpha=0.85)
    ax.set_title("Events over time (first to last publication)", loc="left")
    colorbar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, pad=0.01)
    colorbar.set_label("articles in event")
    colorbar.locator = MaxNLocator(integer=True)
    colorbar.update_ticks()
    if notes:
        _note(ax, "; ".join(notes))
    return fig


def story_timeline(
    result: ClusteringResult,
    story: Story | str | int = 0,
    *,
    max_events: int = 30,
    ax: Axes | None = None,
) -> Figure:
    """One story's events over time: one row per event, earliest at the top.

    ``story`` is a :class:`Story` of ``result``, its id, or its index in ``result.stories``
    (default: the largest story). Each event is a bar from its first to its last publication
    with a dot per article, labelled with the event's label and size; the story's
    representative event is drawn darker. Undated events cannot be placed; a note under the
    axes says how many there are, and the title gives the story's label and span.
    """
    plt = _require_matplotlib("story_timeline")

    if not isinstance(result, ClusteringResult):
        raise TypeError(f"story_timeline() takes a ClusteringResult, got {type(result).__name__}")
    if max_events < 1:
        raise ValueError(f"max_events must be >= 1, got {max_events}")
    chosen = _story(result, story)
    by_id = {event.id: event for event in result.events}
    events = [by_id[e] for e in chosen.events]
    dated = [e for e in events if e.first_published is not None and e.last_published is not None]
    shown = dated[:max_events]
    fig, ax = _new_axes(plt, ax, (10, max(2.5, 0.42 * len(shown) + 1.6)))
    notes = []
    if len(dated) > len(shown):
        notes.append(f"showing the {len(shown)} earliest of {len(dated)} dated events")
    if len(events) > len(dated):
        notes.append(f"{len(events) - len(dated)} of {len(events)} events have no dates")
    title = f"Story: {_text(chosen.label or chosen.id, 70)}\n"
    title += f"{chosen.n_events} events, {chosen.size} articles, {_story_span(chosen)}"
    ax.set_title(title, loc="left")
    if not shown:
        ax.text(0.5, 0.5, "no events with publication dates", ha="center", va="center")
        ax.set_axis_off()
        if notes:
            _note(ax, "; ".join(notes))
        return fig
    colours = ["#0b4f9c" if e.id == chosen.representative_event else "#7fb2e5" for e in shown]
    _event_rows(ax, shown, colours, height=0.55, dot_size=12)
    if notes:
        _note(ax, "; ".join(notes))
    return fig


def _event_rows(
    ax: Axes,
    events: Sequence[Event],
    colours: Any,
    *,
    height: float,
    dot_size: float,
    alpha: float | None = None,
) -> None:
    """Dated ``events`` on ``ax``, one row each, the first at the top.

    Each event is a bar from its first to its last publication (a one-day event gets a
    minimum visible width) with a dot per dated member, labelled on the y axis with the event's
    label and size; the x axis shows dates.
    """
    import matplotlib.dates as mdates

    starts = np.array([mdates.date2num(e.first_published) for e in events])
    ends = np.array([mdates.date2num(e.last_published) for e in events])
    total = float(ends.max() - starts.min())
    min_width = max(total * 0.006, 0.5)  # days; keeps a one-day event visible
    widths = np.maximum(ends - starts, min_width)
    lefts = starts - (widths - (ends - starts)) / 2
    rows = np.arange(len(events))
    ax.barh(rows, widths, left=lefts, height=height, color=colours, edgecolor="none", alpha=alpha)
    xs: list[float] = []
    ys: list[float] = []
    for row, event in zip(rows, events, strict=True):
        for member in event.members:
            if member.published_at is not None:
                xs.append(mdates.date2num(member.published_at))
                ys.append(float(row))
    ax.scatter(xs, ys, s=dot_size, color="#222222", zorder=3, linewidths=0)
    ax.set_yticks(rows, [f"{_text(_event_name(e))} ({e.size})" for e in events], fontsize="small")
    ax.set_ylim(len(events) - 0.5, -0.5)
    pad = max(total * 0.03, 1.0)
    ax.set_xlim(starts.min() - pad, ends.max() + pad)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _story_span(story: Story) -> str:
    if story.first_published is None or story.last_published is None:
        return "no dates"
    first, last = story.first_published.date(), story.last_published.date()
    return str(first) if first == last else f"{first} to {last}"


def _story(result: ClusteringResult, story: Story | str | int) -> Story:
    if not result.stories:
        raise ValueError("the result has no stories")
    if isinstance(story, Story):
        return story
    if isinstance(story, str):
        for candidate in result.stories:
            if candidate.id == story:
                return candidate
        raise KeyError(f"no story with id {story!r} in this result")
    if isinstance(story, (int, np.integer)) and not isinstance(story, bool):
        return result.stories[int(story)]
    raise TypeError(f"story must be a Story, an id or an index, got {type(story).__name__}")


def size_distribution(result: ClusteringResult | Iterable[Event], ax: Axes | None = None) -> Figure:
    """Histogram of event sizes (articles per event).

    Sizes up to 40 get one bar each; larger ranges use logarithmic bins and axis. The count axis
    turns logarithmic when the tallest bar is over 20 times the shortest.
    """
    plt = _require_matplotlib("size_distribution")
    from matplotlib.ticker import MaxNLocator

    events = _events(result, "size_distribution")
    fig, ax = _new_axes(plt, ax, (7, 4))
    sizes = np.array([c.size for c in events], dtype=np.int64)
    if sizes.size == 0:
        ax.text(0.5, 0.5, "no events", ha="center", va="center")
        ax.set_axis_off()
        return fig
    largest = int(sizes.max())
    if largest <= 40:
        bins = np.arange(1, largest + 2) - 0.5
        log_x = False
    else:
        bins = np.unique(np.round(np.geomspace(1, largest + 1, 30))) - 0.5
        bins[0] = 0.5
        log_x = True
    counts = np.asarray(
        ax.hist(sizes, bins=list(bins), color="#4c72b0", edgecolor="white", linewidth=0.6)[0]
    )
    nonzero = counts[counts > 0]
    if nonzero.size and nonzero.max() / nonzero.min() > 20:
        ax.set_yscale("log")
    else:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if log_x:
        ax.set_xscale("log")
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    singletons = int((sizes == 1).sum())
    ax.set_xlabel("articles per event")
    ax.set_ylabel("events")
    ax.set_title(
        f"{sizes.size} events from {int(sizes.sum())} articles · {singletons} singletons · "
        f"largest {largest}",
        loc="left",
        fontsize="medium",
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def _palette(plt: Any) -> list[Any]:
    """18 distinct colours: tab20's dark shades, then its light ones, without the greys
    (grey is for the other events; tab20's dark/light pairs are look-alikes, kept apart)."""
    tab20 = list(plt.get_cmap("tab20").colors)
    dark = [c for i, c in enumerate(tab20[0::2]) if i != 7]
    light = [c for i, c in enumerate(tab20[1::2]) if i != 7]
    return dark + light


def _project(points: np.ndarray, method: str, seed: int) -> np.ndarray:
    n, dim = points.shape
    if n == 1:
        return np.zeros((1, 2))
    if method == "pca":
        from sklearn.decomposition import PCA

        k = min(2, n, dim)
        projected = PCA(n_components=k, random_state=seed).fit_transform(points)
    else:
        from sklearn.manifold import TSNE

        if n < 4:  # TSNE needs perplexity < n; too few points to be worth it
            from sklearn.decomposition import PCA

            k = min(2, n, dim)
            projected = PCA(n_components=k, random_state=seed).fit_transform(points)
        else:
            perplexity = float(min(30.0, max(1.0, (n - 1) / 3)))
            projected = TSNE(
                n_components=2, perplexity=perplexity, init="pca", random_state=seed
            ).fit_transform(points)
    if projected.shape[1] < 2:
        projected = np.hstack([projected, np.zeros((n, 2 - projected.shape[1]))])
    return projected


def article_map(
    embeddings: np.ndarray,
    labels: Sequence[int] | np.ndarray | ClusteringResult,
    *,
    method: str = "pca",
    top: int = 10,
    seed: int = 0,
    ax: Axes | None = None,
) -> Figure:
    """The articles as points in 2-D, the ``top`` largest events in colour, the rest grey.

    ``embeddings`` is ``(n_articles, dim)`` (e.g. ``StoryClusterer.embeddings_``); ``labels``
    gives each article's event (``labels_``) or is the :class:`ClusteringResult` itself, which
    also names the events in the legend. ``method`` is ``"pca"`` (fast, deterministic) or
    ``"tsne"`` (scikit-learn t-SNE with ``random_state=seed``; slower, keeps local
    neighbourhoods). Only events of two or more articles are coloured.
    """
    plt = _require_matplotlib("article_map")
    if method not in ("pca", "tsne"):
        raise ValueError(f'method must be "pca" or "tsne", got {method!r}')
    if top < 0:
        raise ValueError(f"top must be >= 0, got {top}")
    names: dict[int, str] = {}
    if isinstance(labels, ClusteringResult):
        names = {i: _event_name(c) for i, c in enumerate(labels.events)}
        labels = labels.labels
    points = np.asarray(embeddings, dtype=np.float64)
    codes = np.asarray(labels)
    if points.ndim != 2:
        raise ValueError(f"embeddings must be 2-D (n_articles, dim), got shape {points.shape}")
    if codes.ndim != 1 or codes.shape[0] != points.shape[0]:
        raise ValueError(
            f"labels must be 1-D with one label per embedding row ({points.shape[0]}), "
            f"got shape {codes.shape}"
        )
    if points.shape[0] == 0:
        raise ValueError("no articles to plot: embeddings is empty")
    if not np.isfinite(points).all():
        raise ValueError("embeddings contain NaN or infinite values")

    xy = _project(points, method, seed)
    values, counts = np.unique(codes, return_counts=True)
    ranked = sorted(zip(values.tolist(), counts.tolist(), strict=True), key=lambda vc: -vc[1])
    chosen = [(value, count) for value, count in ranked if count >= 2][:top]
    fig, ax = _new_axes(plt, ax, (9, 6))
    coloured = np.isin(codes, [value for value, _ in chosen])
    rest = ~coloured
    if rest.any():
        n_rest = len(np.unique(codes[rest]))
        ax.scatter(
            xy[rest, 0],
            xy[rest, 1],
            s=14,
            color=_GREY,
            linewidths=0,
            label=f"other events ({n_rest}, {int(rest.sum())} articles)",
        )
    colours = _palette(plt)
    for rank, (value, count) in enumerate(chosen):
        mask = codes == value
        name = names.get(value, f"event {value}") if names else f"event {value}"
        ax.scatter(
            xy[mask, 0],
            xy[mask, 1],
            s=30,
            color=colours[rank % len(colours)],
            edgecolors="white",
            linewidths=0.5,
            label=f"{_text(name, 40)} ({count})",
        )
    ax.set_xticks([])
    ax.set_yticks([])
    axis = "PC" if method == "pca" else "t-SNE "
    ax.set_xlabel(f"{axis}1")
    ax.set_ylabel(f"{axis}2")
    ax.set_title(
        f"{points.shape[0]} articles, {len(chosen)} largest events in colour ({method.upper()})",
        loc="left",
        fontsize="medium",
    )
    if chosen or rest.any():
        ax.legend(
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize="small",
            frameon=False,
            borderaxespad=0.0,
        )
    return fig
