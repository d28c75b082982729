"""Views of events: HTML cards for notebooks (``html``) and matplotlib plots (``plots``)."""

from .._compat import renamed
from .html import event_html, result_html
from .plots import article_map, size_distribution, timeline

__all__ = ["article_map", "event_html", "result_html", "size_distribution", "timeline"]

__getattr__ = renamed(__name__, {"cluster_html": "event_html"})
