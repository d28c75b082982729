"""Tests for storycluster._text.language."""

from __future__ import annotations

import pytest

pytest.importorskip("py3langid")

from storycluster._text.language import detect_language, detect_languages

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


def test_letters_are_counted_up_to_the_minimum() -> None:
    eight = "Hello 123 wor !!"  # 8 letters
    assert detect_language(eight) is None
    assert detect_language(eight + "ld") is not None
    assert detect_language(eight, min_letters=8) is not None
    assert detect_language(eight, min_letters=9) is None
    assert detect_language("12345", min_letters=0) is not None


def test_batch_equals_one_by_one_on_varied_texts() -> None:
    texts = [
        *SENTENCES.values(),
        "RT @someone: Flooding in the city center http://t.co/abc #flood",
        "ÉNORME INCENDIE À MARSEILLE CE MATIN",  # all capitals: lower-cased by py3langid
        "Ñandú ñoño 東京 地震 速報 ещё один текст на русском",
        "zzzzzzzzzzzzzz qqqqqqqqqqq",
        "a" * 3000,
        "Short",
        "",
        None,
        SENTENCES["en"],
    ]
    assert detect_languages(texts) == [detect_language(t) for t in texts]
    assert detect_languages(texts, min_confidence=0.9) == [
        detect_language(t, min_confidence=0.9) for t in texts
    ]


def test_batch_falls_back_without_the_model_arrays() -> None:
    from storycluster._text.language import _classify_many, _get_identifier

    class Plain:
        def classify(self, text: str) -> tuple[str, float]:
            return _get_identifier().classify(text)

    texts = list(SENTENCES.values())
    assert _classify_many(Plain(), texts) == [_get_identifier().classify(t) for t in texts]
