"""Which text of an article each feature reads.

Titles and leads carry most of the event signal and are cheap to embed; the lexical features
read the body too, up to a cap, so that one huge page cannot dominate the cost.
"""

from __future__ import annotations

import re

from ..models import Article

__all__ = [
    "WEEKDAY_LEAD_CHARS",
    "body_text",
    "embedding_text",
    "entity_tokens",
    "lexical_text",
    "weekday_mask",
    "weekdays_named",
    "word_count",
]

# Capitalised words (names, places, organisations) and numbers (counts, scores, ages, years):
# the tokens that tell one shooting or one earthquake from another of the same kind.
_ENTITY_PATTERN = re.compile(r"\b(?:[A-Z][a-zA-Z'\u2019\-]+|\d[\d,.:]*)\b")


def body_text(article: Article) -> str:
    """The article's text without a leading copy of its title."""
    title = (article.title or "").strip()
    text = (article.text or "").strip()
    if title and text.startswith(title):
        text = text[len(title) :].lstrip(" .:-\n")
    return text


#: Characters of the title the dense model is given: far more than its 256 word pieces read,
#: so that a pathological 5 MB title costs what a normal one does.
EMBEDDING_TITLE_CHARS = 2_000


def embedding_text(article: Article, lead_chars: int) -> str:
    """Title (its first :data:`EMBEDDING_TITLE_CHARS` characters) and the first ``lead_chars``
    characters of the body, the input of the dense model."""
    title = (article.title or "")[:EMBEDDING_TITLE_CHARS].strip()
    lead = body_text(article)[:lead_chars].strip()
    if not title:
        return lead
    if not lead:
        return title
    return f"{title}. {lead}"


def lexical_text(article: Article, max_chars: int) -> str:
    """Title and body, cut at ``max_chars`` characters, the input of the lexical features."""
    title = (article.title or "").strip()
    body = body_text(article)
    joined = f"{title}\n{body}" if title else body
    return joined[:max_chars]


def entity_tokens(text: str) -> str:
    """Capitalised tokens and numbers of ``text``, lower-cased and space-joined."""
    return " ".join(token.lower() for token in _ENTITY_PATTERN.findall(text))


# Words as scikit-learn's vectorizers count them: two or more word characters.
_WORD_PATTERN = re.compile(r"(?u)\b\w\w+\b")


def word_count(text: str) -> int:
    """Number of words (two or more word characters) in ``text``."""
    return len(_WORD_PATTERN.findall(text))


#: Characters of the body, after the title, read for weekday names: the lead, where a news report
#: says on which day its event happened (later paragraphs recount earlier days).
WEEKDAY_LEAD_CHARS = 400
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_PATTERN = re.compile(r"\b(" + "|".join(_WEEKDAYS) + r")\b", re.IGNORECASE)


def weekday_mask(text: str) -> int:
    """The English weekday names in ``text`` as bits (1 Monday, 2 Tuesday, ... 64 Sunday); 0
    when it names none."""
    mask = 0
    for name in _WEEKDAY_PATTERN.findall(text):
        mask |= 1 << _WEEKDAYS.index(name.lower())
    return mask


def weekdays_named(article: Article) -> int:
    """:func:`weekday_mask` of the article's title and lead (``WEEKDAY_LEAD_CHARS`` of body)."""
    return weekday_mask(embedding_text(article, WEEKDAY_LEAD_CHARS))
