"""The demo sample shipped with the package: 95 ECB+ articles about 12 events."""

from __future__ import annotations

from importlib import resources

from ..models import Article
from ._readers import read_jsonl

__all__ = ["load_sample"]


def load_sample() -> list[Article]:
    """The bundled sample: 95 English news articles of 12 events from six ECB+ topics.

    Each topic holds two look-alike events of the same kind (two rehab check-ins, two 6.1
    earthquakes in Indonesia, ...), which is what an event-level clusterer must tell apart.
    The gold event of each article is ``article.metadata["event_id"]``, its name
    ``article.metadata["event_name"]``. About half the articles have publication dates.

    ECB+ (Cybulska & Vossen 2014) is distributed under the Creative Commons Attribution 3.0
    licence; the attribution and the licence texts ship beside the data, in
    ``storycluster/_data/sample/`` (``README.md``, ``LICENSEDATA.TXT``, ``COPYING-CC.TXT``).

    >>> articles = load_sample()
    >>> len(articles), len({a.metadata["event_id"] for a in articles})
    (95, 12)
    """
    resource = resources.files("storycluster").joinpath("_data", "sample", "articles.jsonl")
    with resources.as_file(resource) as path:
        return read_jsonl(path)
