"""An article's text as the features see it: the body cut to length and cleaned of scraper
debris; shared by the batch and the streaming clusterer."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from ..models import Article
from .cleaning import clean_text

__all__ = ["prepare_article", "prepare_articles"]


@functools.lru_cache(maxsize=4096)
def _clean_text_memo(text: str) -> str:
    """:func:`clean_text`, remembered: the windowed pipeline cleans the same reference
    articles once per group, and a notebook re-fits the same articles."""
    return clean_text(text)


def prepare_article(article: Article, *, clean: bool, max_chars: int) -> Article:
    """The article as the features see it: title and body cut at ``max_chars`` characters, the
    body cleaned.

    An article is never cleaned into nothing: if only debris was left and it has no title, the
    raw text is kept.
    """
    return _prepare(article, clean, max_chars, _clean_text_memo)


def prepare_articles(articles: Sequence[Article], *, clean: bool, max_chars: int) -> list[Article]:
    """:func:`prepare_article` for each article; a text repeated in the batch (wire copies,
    retweets) is cleaned once."""
    cleaned: dict[str, str] = {}

    def clean_once(text: str) -> str:
        if text not in cleaned:
            cleaned[text] = clean_text(text)
        return cleaned[text]

    return [_prepare(article, clean, max_chars, clean_once) for article in articles]


def _prepare(
    article: Article, clean: bool, max_chars: int, clean_fn: Callable[[str], str]
) -> Article:
    text = (article.text or "")[:max_chars]
    title = article.title if article.title is None else article.title[:max_chars]
    if clean and text:
        cleaned = clean_fn(text)
        if cleaned.strip() or (title or "").strip():
            text = cleaned
    if text == article.text and title == article.title:
        return article
    update: dict[str, str | None] = {"text": text}
    if title != article.title:
        update["title"] = title
    return article.model_copy(update=update)
