"""Views of events: HTML cards for notebooks (``html``) and matplotlib plots (``plots``)."""

from .html import cluster_html, result_html
from .plots import article_map, size_distribution, timeline

__all__ = ["article_map", "cluster_html", "result_html", "size_distribution", "timeline"]
