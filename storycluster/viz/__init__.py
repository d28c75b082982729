"""Views of events and stories: HTML cards for notebooks (``html``), matplotlib plots
(``plots``) and interactive Plotly figures (``interactive``)."""

from .._compat import renamed
from .html import event_html, result_html, story_html
from .interactive import document_map, event_hierarchy, events_over_time
from .plots import article_map, size_distribution, story_timeline, timeline

__all__ = [
    "article_map",
    "document_map",
    "event_hierarchy",
    "event_html",
    "events_over_time",
    "result_html",
    "size_distribution",
    "story_html",
    "story_timeline",
    "timeline",
]

__getattr__ = renamed(__name__, {"cluster_html": "event_html"})
