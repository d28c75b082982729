"""Rich HTML views of events for Jupyter: one :class:`StoryCluster` or a whole result.

:func:`cluster_html` and :func:`result_html` return self-contained HTML fragments: inline
styles only (no ``<style>`` block, no JavaScript), so they render the same in Jupyter, VS Code,
GitHub's notebook viewer and a plain browser. Every value that comes from the input (titles,
sources, keywords, ids, URLs) is passed through :func:`html.escape`; links are made only for
``http``/``https`` URLs.

>>> from storycluster.models import Article, ClusterMember, StoryCluster
>>> rep = Article(id="a1", title="Quake <M6.1> hits Sumatra", published_at="2009-09-30")
>>> member = ClusterMember(article_id="a1", title=rep.title, similarity=1.0)
>>> cluster = StoryCluster(id="ev_1", size=1, representative=rep, members=[member])
>>> "Quake &lt;M6.1&gt; hits Sumatra" in cluster_html(cluster)
True
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

from ..models import ClusteringResult, ClusterMember, StoryCluster

__all__ = ["cluster_html", "result_html"]

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


def _span(cluster: StoryCluster) -> str:
    """``2009-09-30``, ``2009-09-30 to 2009-10-02 (2 days)`` (en dash) or ``no dates``."""
    first, last = cluster.first_published, cluster.last_published
    if first is None or last is None:
        return "no dates"
    if first.date() == last.date():
        return first.date().isoformat()
    days = (last.date() - first.date()).days
    unit = "day" if days == 1 else "days"
    return f"{first.date().isoformat()} {_DASH} {last.date().isoformat()} ({days} {unit})"


def _title(cluster: StoryCluster) -> str:
    rep = cluster.representative
    return _short(cluster.label or rep.title or rep.text or rep.id)


def _more(items: Sequence[str], limit: int) -> tuple[list[str], int]:
    return list(items[:limit]), max(0, len(items) - limit)


def _sources(cluster: StoryCluster) -> str:
    if not cluster.sources:
        return f'<span style="{_MUTED}">no sources</span>'
    shown, more = _more(cluster.sources, _MAX_SOURCES)
    text = ", ".join(_esc(source) for source in shown)
    if more:
        text += f' <span style="{_MUTED}">+{more} more</span>'
    return text


def _keywords(cluster: StoryCluster) -> str:
    if not cluster.keywords:
        return f'<span style="{_MUTED}">none</span>'
    shown, _ = _more(cluster.keywords, _MAX_KEYWORDS)
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


def _member(member: ClusterMember) -> str:
    title = _link(_esc(_short(member.title or member.article_id)), member.url)
    details = [part for part in (member.source, _date(member.published_at)) if part]
    suffix = f' <span style="{_MUTED}">— {_esc(", ".join(details))}</span>' if details else ""
    star = " ★" if member.is_representative else ""
    return f'<li style="margin:1px 0">{title}{suffix}{star}</li>'


def cluster_html(cluster: StoryCluster, *, max_members: int = 5) -> str:
    """One event as an HTML card.

    Shows the event's label (the representative's title), its size, time span, sources and
    keywords, and the titles of its first ``max_members`` members (representative first, marked
    ★) with outlet and date, then how many more there are. All input text is escaped.
    """
    if not isinstance(cluster, StoryCluster):
        raise TypeError(f"cluster_html() takes a StoryCluster, got {type(cluster).__name__}")
    if max_members < 0:
        raise ValueError(f"max_members must be >= 0, got {max_members}")
    noun = "article" if cluster.size == 1 else "articles"
    members = "".join(_member(m) for m in cluster.members[:max_members])
    hidden = len(cluster.members) - min(max_members, len(cluster.members))
    if hidden:
        members += f'<li style="{_MUTED};list-style:none">… and {hidden} more</li>'
    member_list = (
        f'<ul style="margin:6px 0 0 0;padding-left:20px">{members}</ul>' if members else ""
    )
    n_sources = len(cluster.sources)
    source_label = "source" if n_sources == 1 else "sources"
    return (
        f'<div class="storycluster-event" style="{_BOX}">'
        f'<div style="font-size:15px;font-weight:600;margin-bottom:4px">'
        f'<span style="{_BADGE}">{cluster.size} {noun}</span>{_esc(_title(cluster))}</div>'
        f'<div style="{_MUTED};font-size:12px;margin-bottom:4px">'
        f"{_esc(cluster.id)} · {_esc(_span(cluster))}</div>"
        f"<div><b>{n_sources} {source_label}:</b> {_sources(cluster)}</div>"
        f"<div><b>Keywords:</b> {_keywords(cluster)}</div>"
        f"{member_list}</div>"
    )


def result_html(result: ClusteringResult, *, max_clusters: int = 20) -> str:
    """A clustering result as HTML: a summary line and a table of the largest events.

    The summary gives the number of articles, events and singleton events; the table lists the
    ``max_clusters`` largest events (ties keep the result's order) with their index in
    ``result.clusters``, size, label, time span, sources and keywords. All input text is escaped.
    """
    if not isinstance(result, ClusteringResult):
        raise TypeError(f"result_html() takes a ClusteringResult, got {type(result).__name__}")
    if max_clusters < 0:
        raise ValueError(f"max_clusters must be >= 0, got {max_clusters}")
    clusters = result.clusters
    sizes = [c.size for c in clusters]
    singletons = sum(1 for size in sizes if size == 1)
    summary = (
        f"<b>{len(result.article_ids)}</b> articles · <b>{len(clusters)}</b> events · "
        f"<b>{singletons}</b> singletons · largest <b>{max(sizes, default=0)}</b>"
    )
    order = sorted(range(len(clusters)), key=lambda i: -clusters[i].size)[:max_clusters]
    rows = []
    for index in order:
        cluster = clusters[index]
        rows.append(
            "<tr>"
            f'<td style="{_TD};{_MUTED}">{index}</td>'
            f'<td style="{_TD};text-align:right;font-weight:600">{cluster.size}</td>'
            f'<td style="{_TD}">{_esc(_title(cluster))}</td>'
            f'<td style="{_TD};white-space:nowrap">{_esc(_span(cluster))}</td>'
            f'<td style="{_TD}">{_plain(cluster.sources, _MAX_SOURCES)}</td>'
            f'<td style="{_TD}">{_plain(cluster.keywords, _MAX_KEYWORDS)}</td>'
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
    if len(clusters) > len(order):
        footer = (
            f'<div style="{_MUTED};margin-top:6px">showing the {len(order)} largest of '
            f"{len(clusters)} events</div>"
        )
    return (
        f'<div class="storycluster-result" style="{_BOX};max-width:1100px">'
        f'<div style="font-size:14px">ClusteringResult: {summary}</div>'
        f"{table}{footer}</div>"
    )
