"""Tests for storycluster.language."""

from __future__ import annotations

import pytest

pytest.importorskip("py3langid")

from storycluster.language import detect_language, detect_languages

SENTENCES = {
    "en": "The city council voted on Monday to rebuild the old bridge before next winter.",
    "es": "El ayuntamiento votó el lunes para reconstruir el viejo puente antes del invierno.",
    "it": "Il consiglio comunale ha votato lunedì per ricostruire il vecchio ponte.",
    "pt": "A câmara municipal votou na segunda-feira para reconstruir a velha ponte até o inverno.",
    "de": "Der Stadtrat hat am Montag beschlossen, die alte Brücke vor dem Winter neu zu bauen.",
}


@pytest.mark.parametrize("lang", sorted(SENTENCES))
def test_detects_language(lang: str) -> None:
    assert detect_language(SENTENCES[lang]) == lang


def test_urls_and_mentions_are_ignored() -> None:
    text = "RT @someone: " + SENTENCES["es"] + " http://example.com/some/path"
    assert detect_language(text) == "es"


@pytest.mark.parametrize("text", ["", "   ", None, "ok", "12345 !!!", "http://example.com @abc"])
def test_empty_or_too_short_is_none(text: str | None) -> None:
    assert detect_language(text) is None


def test_min_confidence() -> None:
    assert detect_language(SENTENCES["en"], min_confidence=0.5) == "en"
    assert detect_language(SENTENCES["en"], min_confidence=1.01) is None


def test_batch_and_determinism() -> None:
    texts = [*SENTENCES.values(), "", SENTENCES["en"]]
    first = detect_languages(texts)
    assert first == [*SENTENCES.keys(), None, "en"]
    assert detect_languages(iter(texts)) == first
    assert [detect_language(t) for t in texts] == first
