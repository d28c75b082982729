"""A table of hostile inputs and what each one gets (issue 15): accepted with a stated result, or
refused with an error that names the problem. Nothing may be accepted silently wrong, and the
command line never shows a traceback.

Each row is ``(input, expected)``; the ``expected`` column is either ``ok(check)`` (the input
loads and ``check`` holds) or ``err(type, fragment)`` (that exception, its message holding
``fragment``) or ``warns(fragment)`` (an :class:`InputWarning` naming it). The property tests
are in ``test_properties.py``, their strategies in ``strategies.py``.
"""

from __future__ import annotations

import json
import math
import re
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from storycluster import StoryClusterer
from storycluster._features.vectors import check_embeddings
from storycluster.cli import main
from storycluster.io import (
    ArticleValidationError,
    InputWarning,
    articles_from_dataframe,
    articles_from_records,
    as_articles,
    read_jsonl,
)
from storycluster.models import Article, normalize_id
from storycluster.testing import HashingEmbedder, event_articles, event_embeddings

pd = pytest.importorskip("pandas")


@dataclass(frozen=True)
class Expect:
    kind: str  # "ok", "err" or "warns"
    error: type[BaseException] | None = None
    fragment: str = ""
    check: Callable[[Any], bool] | None = None

    def __repr__(self) -> str:  # readable test ids
        return f"{self.kind}:{self.fragment or ''}"[:40]


def ok(check: Callable[[Any], bool] | None = None) -> Expect:
    return Expect("ok", check=check)


def err(error: type[BaseException], fragment: str) -> Expect:
    return Expect("err", error, fragment)


def warns(fragment: str, check: Callable[[Any], bool] | None = None) -> Expect:
    return Expect("warns", fragment=fragment, check=check)


def _run(expect: Expect, call: Callable[[], Any]) -> None:
    if expect.kind == "err":
        assert expect.error is not None
        with pytest.raises(expect.error) as info:
            call()
        assert expect.fragment in str(info.value), str(info.value)
        return
    if expect.kind == "warns":
        with pytest.warns(InputWarning) as record:
            result = call()
        messages = " | ".join(str(w.message) for w in record)
        assert expect.fragment in messages, messages
    else:
        result = call()  # any warning is an error here (pytest filterwarnings = error)
    if expect.check is not None:
        assert expect.check(result), result


BASE = {"id": "r1", "title": "Quake hits Nepal", "text": "Rescuers search the rubble."}
HUGE = "word " * 1_000_000  # 5 MB
UTC = UTC


def _one(attr: str, value: Any) -> Callable[[list[Article]], bool]:
    return lambda articles: getattr(articles[0], attr) == value


def _when(*args: int, tz: timezone = UTC) -> Callable[[list[Article]], bool]:
    return _one("published_at", datetime(*args, tzinfo=tz))


# -- one field at a time ---------------------------------------------------------------------
# (field, value, expected); "title"/"text" rows keep the other one so that content remains.
FIELD_CASES: list[tuple[str, Any, Expect]] = [
    # ids: one normalisation for every id (models.normalize_id)
    ("id", 7, ok(_one("id", "7"))),
    ("id", -3, ok(_one("id", "-3"))),
    ("id", 10**30, ok(_one("id", str(10**30)))),
    ("id", np.int64(5), ok(_one("id", "5"))),
    ("id", uuid.UUID(int=1), ok(_one("id", "00000000-0000-0000-0000-000000000001"))),
    ("id", "ünïcødé-标识", ok(_one("id", "ünïcødé-标识"))),
    ("id", "\U0001f600", ok(_one("id", "\U0001f600"))),
    ("id", "a\x00b", ok(_one("id", "a\x00b"))),
    ("id", True, err(ArticleValidationError, "id: expected a string or an integer, got bool")),
    ("id", 1.0, err(ArticleValidationError, "got float 1.0 (an integer id column")),
    ("id", 1.5, err(ArticleValidationError, "got float 1.5")),
    ("id", math.nan, err(ArticleValidationError, "got float nan")),
    ("id", None, err(ArticleValidationError, "id: missing")),
    ("id", "", err(ArticleValidationError, "id: empty or blank")),
    ("id", "   ", err(ArticleValidationError, "id: empty or blank")),
    ("id", "x" * 1001, err(ArticleValidationError, "1001 characters long")),
    ("id", "a\ud800", err(ArticleValidationError, "lone surrogate")),
    ("id", ["a"], err(ArticleValidationError, "got list")),
    ("id", {"a": 1}, err(ArticleValidationError, "got dict")),
    ("id", b"id", err(ArticleValidationError, "got bytes")),
    # titles
    ("title", None, ok(_one("title", None))),
    ("title", "", ok(_one("title", ""))),
    ("title", 5, err(ArticleValidationError, "title: Input should be a valid string")),
    ("title", 5.5, err(ArticleValidationError, "title: Input should be a valid string")),
    ("title", True, err(ArticleValidationError, "title: Input should be a valid string")),
    ("title", ["a"], err(ArticleValidationError, "title: Input should be a valid string")),
    ("title", {"a": 1}, err(ArticleValidationError, "title: Input should be a valid string")),
    ("title", b"\xff", err(ArticleValidationError, "title: Input should be a valid string")),
    ("title", "x\ud800y", ok(_one("title", "x\ufffdy"))),  # repaired, not refused
    ("title", "\udfff", ok(_one("title", "\ufffd"))),
    ("title", "a\x00b", ok(_one("title", "a\x00b"))),
    ("title", "\u202eevil\u200b", ok(_one("title", "\u202eevil\u200b"))),
    ("title", "e\u0301\U0001f600\u4e2d", ok(_one("title", "e\u0301\U0001f600\u4e2d"))),
    ("title", HUGE, ok(lambda a: len(a[0].title) == len(HUGE))),  # kept whole
    # texts
    ("text", None, ok(_one("text", None))),
    ("text", "", ok(_one("text", ""))),
    ("text", 5, err(ArticleValidationError, "text: Input should be a valid string")),
    ("text", ["a"], err(ArticleValidationError, "text: Input should be a valid string")),
    ("text", "bad \ud83d surrogate", ok(_one("text", "bad \ufffd surrogate"))),
    ("text", HUGE, ok(lambda a: len(a[0].text) == len(HUGE))),
    ("text", "\u2028\r\n\t", ok(_one("text", "\u2028\r\n\t"))),
    # other strings
    ("url", 5, err(ArticleValidationError, "url: Input should be a valid string")),
    ("url", "http://x/\ud800", ok(_one("url", "http://x/\ufffd"))),
    ("source", ["a"], err(ArticleValidationError, "source: Input should be a valid string")),
    ("source", "S\udc80", ok(_one("source", "S\ufffd"))),
    ("language", 1, err(ArticleValidationError, "language: Input should be a valid string")),
    # dates: ISO 8601, common formats (python-dateutil), a sane range
    ("published_at", "2021-10-18", ok(_when(2021, 10, 18))),
    ("published_at", "2021-10-18T16:15:00Z", ok(_when(2021, 10, 18, 16, 15))),
    (
        "published_at",
        "2021-10-18T16:15:00-07:00",
        ok(_when(2021, 10, 18, 16, 15, tz=timezone(timedelta(hours=-7)))),
    ),
    ("published_at", "Oct 18, 2021 4:15 PM", ok(_when(2021, 10, 18, 16, 15))),
    (
        "published_at",
        "Oct 18, 2021 4:15 PM EDT",
        ok(_when(2021, 10, 18, 16, 15, tz=timezone(timedelta(hours=-4)))),
    ),
    ("published_at", "Mon, 18 Oct 2021 16:15:00 GMT", ok(_when(2021, 10, 18, 16, 15))),
    (
        "published_at",
        "Mon, 18 Oct 2021 16:15:00 +0200",
        ok(_when(2021, 10, 18, 16, 15, tz=timezone(timedelta(hours=2)))),
    ),
    ("published_at", "18 October 2021", ok(_when(2021, 10, 18))),
    ("published_at", "October 18th, 2021", ok(_when(2021, 10, 18))),
    ("published_at", "2021/10/18", ok(_when(2021, 10, 18))),
    ("published_at", "10/18/2021", ok(_when(2021, 10, 18))),
    ("published_at", "18.10.2021", ok(_when(2021, 10, 18))),
    ("published_at", "20211018", ok(_when(2021, 10, 18))),
    ("published_at", "", ok(_one("published_at", None))),
    ("published_at", "   ", ok(_one("published_at", None))),
    ("published_at", None, ok(_one("published_at", None))),
    ("published_at", 1634573700, ok(_when(2021, 10, 18, 16, 15))),
    ("published_at", datetime(2021, 10, 18, 16, 15), ok(_when(2021, 10, 18, 16, 15))),
    ("published_at", date(2021, 10, 18), ok(_when(2021, 10, 18))),
    ("published_at", np.datetime64("2021-10-18T16:15"), ok(_when(2021, 10, 18, 16, 15))),
    ("published_at", "yesterday", err(ArticleValidationError, "not a date this library")),
    ("published_at", "Tuesday", err(ArticleValidationError, "not a full date")),
    ("published_at", "Oct 2021", err(ArticleValidationError, "not a full date")),
    ("published_at", "2021", err(ArticleValidationError, "not a full date")),
    ("published_at", "2021-13-45", err(ArticleValidationError, "not a date this library")),
    ("published_at", "2021-02-30", err(ArticleValidationError, "not a date this library")),
    ("published_at", "Oct 18 2021 4 PM XYZT", err(ArticleValidationError, "time zone")),
    ("published_at", "9021-01-01", err(ArticleValidationError, "out of range")),
    ("published_at", "1600-05-01", err(ArticleValidationError, "out of range")),
    (
        "published_at",
        datetime(9999, 12, 31, tzinfo=timezone(timedelta(hours=14))),
        err(ArticleValidationError, "out of range"),
    ),
    (
        "published_at",
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=-5))),
        err(ArticleValidationError, "out of range"),
    ),
    ("published_at", 1e20, err(ArticleValidationError, "published_at: Input should be")),
    ("published_at", math.nan, err(ArticleValidationError, "published_at: Input should be")),
    ("published_at", True, err(ArticleValidationError, "published_at: Input should be")),
    ("published_at", [2021], err(ArticleValidationError, "published_at: Input should be")),
    ("published_at", "x\ud800", err(ArticleValidationError, "not a date this library")),
    # metadata and meta
    ("metadata", {"k": 1}, ok(_one("metadata", {"k": 1}))),
    ("metadata", None, ok(_one("metadata", {}))),
    ("metadata", [1], err(ArticleValidationError, "metadata: must be an object")),
    ("metadata", "x", err(ArticleValidationError, "metadata: must be an object")),
    ("meta", {"k": 1}, ok(_one("metadata", {"k": 1}))),
    ("meta", 3, err(ArticleValidationError, "meta: must be an object")),
    ("event_id", "gold-1", ok(_one("metadata", {"event_id": "gold-1"}))),  # no warning
]


def _field_id(case: tuple[str, Any, Expect]) -> str:
    field, value, _ = case
    return f"{field}={ascii(value)[:24]}"


@pytest.mark.parametrize("case", FIELD_CASES, ids=_field_id)
def test_field_through_records(case: tuple[str, Any, Expect]) -> None:
    field, value, expect = case
    _run(expect, lambda: articles_from_records([{**BASE, field: value}]))


def _json_safe(value: Any) -> bool:
    if isinstance(value, (np.generic, uuid.UUID, datetime, date, bytes)):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


JSON_FIELD_CASES = [case for case in FIELD_CASES if _json_safe(case[1])]


@pytest.mark.parametrize("case", JSON_FIELD_CASES, ids=_field_id)
def test_field_through_jsonl(case: tuple[str, Any, Expect], tmp_path: Path) -> None:
    field, value, expect = case
    path = tmp_path / "a.jsonl"
    # ensure_ascii escapes lone surrogates as \ud800, as other JSON writers do
    path.write_text(json.dumps({**BASE, field: value}) + "\n", encoding="utf-8")
    _run(expect, lambda: read_jsonl(path))


# -- field names -------------------------------------------------------------------------------
NAME_CASES: list[tuple[dict[str, Any], Expect]] = [
    ({"id": "a", "title": "t", "body": "b"}, warns("'body' looks like 'text'")),
    ({"id": "a", "title": "t", "content": "b"}, warns("'content' looks like 'text'")),
    ({"id": "a", "title": "t", "Text": "b"}, warns("'Text' looks like 'text'")),
    ({"id": "a", "title": "t", "summary": "b"}, warns("'summary' looks like 'text'")),
    ({"id": "a", "text": "t", "headline": "h"}, warns("'headline' looks like 'title'")),
    ({"id": "a", "text": "t", "titel": "h"}, warns("'titel' looks like 'title'")),
    ({"id": "a", "title": "t", "date": "2021-01-01"}, warns("'date' looks like 'published_at'")),
    ({"id": "a", "title": "t", "pubDate": "2021-01-01"}, warns("'pubDate' looks like")),
    ({"id": "a", "title": "t", "link": "http://x"}, warns("'link' looks like 'url'")),
    ({"id": "a", "title": "t", "publisher": "X"}, warns("'publisher' looks like 'source'")),
    ({"id": "a", "title": "t", "lang": "en"}, warns("'lang' looks like 'language'")),
    (
        {"id": "a", "title": "t", "body": "b", "event_id": 3},
        warns("other fields kept in metadata: 'event_id'"),
    ),
    ({"id": "a", "title": "t", "body": "b"}, warns("rename it to 'text'")),
    # the field meant is there: the other one is just extra data, no warning
    ({"id": "a", "title": "t", "text": "x", "body": "b"}, ok(_one("text", "x"))),
    ({"id": "a", "title": "t", "event_id": "e", "author": "z"}, ok(_one("title", "t"))),
    # nothing left to cluster on: the error says what was probably meant
    ({"id": "a", "body": "b"}, err(ArticleValidationError, "did you mean 'text' for 'body'")),
    ({"id": "a", "headline": "b"}, err(ArticleValidationError, "did you mean 'title'")),
    ({"doc_id": "a", "title": "t"}, err(ArticleValidationError, "did you mean 'id'")),
]


@pytest.mark.parametrize("case", NAME_CASES, ids=lambda c: ",".join(c[0]))
def test_field_names(case: tuple[dict[str, Any], Expect]) -> None:
    record, expect = case
    _run(expect, lambda: articles_from_records([record]))


@pytest.mark.parametrize(
    "record",
    [
        {"id": "a", "title": "t", "body": "b"},
        {"id": "a", "title": "t", "event_id": "e"},
        {"id": "a", "title": "t", "text": "x", "content": "c"},
    ],
    ids=["alias", "unknown", "extra"],
)
def test_strict_refuses_every_unknown_field(record: dict[str, Any]) -> None:
    with pytest.raises(ArticleValidationError, match="strict=True refuses unknown fields"):
        articles_from_records([record], strict=True)
    assert articles_from_records([{"id": "a", "title": "t", "metadata": {"x": 1}}], strict=True)


def test_strict_and_warning_on_every_reader(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": 1, "title": "t", "body": "b"}\n', encoding="utf-8")
    with pytest.warns(InputWarning, match="first at line 1"):
        read_jsonl(path)
    with pytest.raises(ArticleValidationError, match="line 1: body: not an Article field"):
        read_jsonl(path, strict=True)
    frame = pd.DataFrame({"id": [1], "title": ["t"], "body": ["b"]})
    with pytest.warns(InputWarning, match=r"columns=\{'text': 'body'\}"):
        articles_from_dataframe(frame)
    with pytest.raises(ArticleValidationError, match="row 0: body"):
        articles_from_dataframe(frame, strict=True)
    assert articles_from_dataframe(frame, columns={"text": "body"})[0].text == "b"
    with pytest.warns(InputWarning):
        as_articles(frame)
    with pytest.raises(ArticleValidationError):
        as_articles(frame, strict=True)


def test_a_frame_with_body_and_date_is_not_clustered_on_titles_in_silence() -> None:
    frame = pd.DataFrame(
        {"id": [1, 2], "title": ["Quake", "Rates"], "body": ["x y", "z w"], "date": ["", ""]}
    )
    model = StoryClusterer(model=HashingEmbedder(), detect_language=False)
    with pytest.warns(InputWarning, match="'body' looks like 'text'.*'date' looks like"):
        model.fit(frame)


# -- whole inputs ------------------------------------------------------------------------------
def _ids(*expected: str) -> Callable[[list[Article]], bool]:
    return lambda articles: [a.id for a in articles] == list(expected)


def _gen() -> Any:
    return ({"id": i, "title": f"t{i}"} for i in range(2))


CONTAINER_CASES: list[tuple[str, Callable[[], Any], Expect]] = [
    ("None", lambda: None, err(TypeError, "got None")),
    ("int", lambda: 42, err(TypeError, "got int")),
    ("float", lambda: 4.2, err(TypeError, "got float")),
    ("path str", lambda: "articles.jsonl", err(TypeError, "read_jsonl(path)")),
    ("Path", lambda: Path("articles.jsonl"), err(TypeError, "read_jsonl(path)")),
    ("bytes", lambda: b"abc", err(TypeError, "got a bytes")),
    ("one dict", lambda: dict(BASE), err(TypeError, "single dict; wrap it in a list")),
    ("one Article", lambda: Article(**BASE), err(TypeError, "single Article")),
    ("set", lambda: {"a", "b"}, err(TypeError, "which has no order")),
    ("frozenset", lambda: frozenset({"a"}), err(TypeError, "which has no order")),
    ("empty list", lambda: [], ok(lambda a: a == [])),
    ("empty tuple", lambda: (), ok(lambda a: a == [])),
    ("list of None", lambda: [None], err(ArticleValidationError, "got None")),
    ("list of int", lambda: [42], err(ArticleValidationError, "got int")),
    ("list of list", lambda: [["a"]], err(ArticleValidationError, "got list")),
    ("list of bytes", lambda: [b"x"], err(ArticleValidationError, "got bytes")),
    ("plain strings", lambda: ["x", "y", "z"], ok(_ids("0", "1", "2"))),
    ("plain strings text", lambda: ["Quake"], ok(_one("text", "Quake"))),
    ("tuple of strings", lambda: ("x", "y"), ok(_ids("0", "1"))),
    ("strings with gap", lambda: ["x", None], err(ArticleValidationError, "record 1: text")),
    ("strings with NaN", lambda: ["x", math.nan], err(ArticleValidationError, "has a gap")),
    ("empty string", lambda: ["", "x"], err(ArticleValidationError, "record 0")),
    (
        "strings mixed with dicts",
        lambda: [dict(BASE), "x"],
        err(ArticleValidationError, "record 1: expected a dict or an Article, got str"),
    ),
    ("iterator", lambda: iter(["x", "y"]), ok(_ids("0", "1"))),
    ("generator of dicts", _gen, ok(_ids("0", "1"))),
    ("numpy strings", lambda: np.array(["x", "y"]), ok(_ids("0", "1"))),
    ("numpy 2-D", lambda: np.array([["x"]]), err(TypeError, "got ndarray")),
    ("Series of strings", lambda: pd.Series(["x", "y"]), ok(_ids("0", "1"))),
    ("Series index ids", lambda: pd.Series(["x", "y"], index=[10, 3]), ok(_ids("10", "3"))),
    (
        "Series label ids",
        lambda: pd.Series(["x", "y"], index=["a", "b"]),
        ok(_ids("a", "b")),
    ),
    (
        "Series duplicate index",
        lambda: pd.Series(["x", "y"], index=[1, 1]),
        err(ArticleValidationError, "duplicate id '1'"),
    ),
    ("Series with NaN", lambda: pd.Series(["x", None]), err(ArticleValidationError, "item 1")),
    ("Series of dicts", lambda: pd.Series([dict(BASE)]), ok(_ids("r1"))),
    ("Series of ints", lambda: pd.Series([1, 2]), err(ArticleValidationError, "got int")),
    ("DataFrame", lambda: pd.DataFrame([BASE]), ok(_ids("r1"))),
    ("empty DataFrame", lambda: pd.DataFrame({"id": [], "title": []}), ok(lambda a: a == [])),
    (
        "DataFrame without id",
        lambda: pd.DataFrame({"title": ["t"]}),
        err(ValueError, "no 'id' column"),
    ),
    (
        "DataFrame doc_id",
        lambda: pd.DataFrame({"doc_id": [1], "title": ["t"]}),
        err(ValueError, "columns={'id': 'doc_id'}"),
    ),
    (
        "DataFrame int ids with NaN",
        lambda: pd.DataFrame({"id": [1, None, 3], "title": ["a", "b", "c"]}),
        err(ArticleValidationError, "DataFrame row 1: id: missing"),
    ),
    (
        "DataFrame int ids as floats",
        lambda: pd.DataFrame({"id": [1.0, 2.0], "title": ["a", "b"]}),
        ok(_ids("1", "2")),
    ),
    (
        "DataFrame fractional ids",
        lambda: pd.DataFrame({"id": [1.5, 2.0], "title": ["a", "b"]}),
        err(ArticleValidationError, "row 0: id: expected a string or an integer, got float 1.5"),
    ),
    (
        "DataFrame NaT",
        lambda: pd.DataFrame({"id": ["a"], "title": ["t"], "published_at": [pd.NaT]}),
        ok(_one("published_at", None)),
    ),
    (
        "DataFrame Timestamps",
        lambda: pd.DataFrame(
            {"id": ["a"], "title": ["t"], "published_at": [pd.Timestamp("2021-10-18", tz="UTC")]}
        ),
        ok(_when(2021, 10, 18)),
    ),
    (
        "DataFrame duplicate columns",
        lambda: pd.DataFrame([["a", "t", "u"]], columns=["id", "title", "title"]),
        err(ValueError, "duplicate column names: title"),
    ),
    (
        "DataFrame to records",
        lambda: articles_from_records(pd.DataFrame([BASE])),
        err(TypeError, "use articles_from_dataframe()"),
    ),
    (
        "duplicate ids",
        lambda: [dict(BASE), dict(BASE)],
        err(ArticleValidationError, "duplicate id 'r1' (records 0, 1)"),
    ),
    (
        "7 and '7' are one id",
        lambda: [{"id": 7, "title": "a"}, {"id": "7", "title": "b"}],
        err(ArticleValidationError, "duplicate id '7'"),
    ),
    (
        "Articles and dicts",
        lambda: [Article(id="a", title="t"), {"id": "b", "title": "u"}],
        ok(_ids("a", "b")),
    ),
    (
        "conflicting meta",
        lambda: [{**BASE, "meta": {"k": 1}, "k": 2}],
        err(ArticleValidationError, "key 'k' given twice"),
    ),
    (
        "25 bad records",
        lambda: [{"id": i} for i in range(25)],
        err(ArticleValidationError, "and 5 more (all in .errors)"),
    ),
]


@pytest.mark.parametrize("case", CONTAINER_CASES, ids=lambda c: c[0])
def test_whole_input(case: tuple[str, Callable[[], Any], Expect]) -> None:
    name, make, expect = case
    if name == "DataFrame to records":
        _run(expect, make)
    else:
        _run(expect, lambda: as_articles(make()))


def test_records_none_is_a_type_error_saying_what_is_taken() -> None:
    with pytest.raises(TypeError, match=r"takes a list of records .* got None"):
        articles_from_records(None)  # type: ignore[arg-type]


def test_fit_refuses_empty_and_too_many() -> None:
    model = StoryClusterer(model=HashingEmbedder(), detect_language=False, max_articles=2)
    with pytest.raises(ValueError, match="no articles"):
        model.fit([])
    with pytest.raises(ValueError, match="exceed max_articles=2"):
        model.fit(["a", "b", "c"])


def test_plain_strings_fit_and_event_of_takes_int_ids() -> None:
    model = StoryClusterer(model=HashingEmbedder(), detect_language=False)
    model.fit(["Nepal quake kills hundreds", "Quake in Nepal kills hundreds", "Rates rise"])
    assert model.result_.article_ids == ["0", "1", "2"]
    assert model.result_.event_of(2) is model.result_.event_of("2")
    with pytest.raises(KeyError, match="no article with id 9"):
        model.result_.event_of(9)
    with pytest.raises(KeyError):
        model.result_.event_of(True)  # type: ignore[arg-type]


def test_event_of_int_id_from_records() -> None:
    records, gold = event_articles()
    records = [{**r, "id": i} for i, r in enumerate(records)]
    model = StoryClusterer(model=HashingEmbedder(), detect_language=False).fit(
        records, embeddings=event_embeddings(gold)
    )
    assert model.result_.event_of(7).article_ids == model.result_.event_of("7").article_ids
    assert normalize_id(np.int32(7)) == "7"


# -- JSON Lines files, byte by byte -----------------------------------------------------------
GOOD = b'{"id": "a", "title": "Quake hits Nepal"}\n'
DEEP = b"[" * 100_000 + b"]" * 100_000
FILE_CASES: list[tuple[str, bytes, Expect]] = [
    ("empty", b"", ok(lambda a: a == [])),
    ("blank lines", b"\n \n\t\n", ok(lambda a: a == [])),
    ("BOM", b"\xef\xbb\xbf" + GOOD, ok(_ids("a"))),
    ("CRLF", GOOD.replace(b"\n", b"\r\n") * 1, ok(_ids("a"))),
    ("no final newline", GOOD.rstrip(), ok(_ids("a"))),
    ("UTF-16", '{"id": "a"}'.encode("utf-16"), err(ArticleValidationError, "not valid UTF-8")),
    (
        "latin-1",
        b'{"id": "a", "title": "caf\xe9"}\n',
        err(ArticleValidationError, "line 1: not valid UTF-8 (byte 0xe9"),
    ),
    ("truncated", GOOD + b'{"id": "b", "ti', err(ArticleValidationError, "line 2: invalid JSON")),
    ("trailing data", GOOD.rstrip() + b" x\n", err(ArticleValidationError, "Extra data")),
    ("array", b"[" + GOOD.rstrip() + b"]\n", err(ArticleValidationError, "one JSON array")),
    ("deep array", DEEP + b"\n", err(ArticleValidationError, "nested too deeply")),
    (
        "deep metadata",
        b'{"id": "a", "title": "t", "m": ' + DEEP + b"}\n",
        err(ArticleValidationError, "nested too deeply"),
    ),
    ("huge int", b'{"id": ' + b"9" * 5000 + b"}\n", err(ArticleValidationError, "invalid JSON")),
    ("a string", b'"just text"\n', err(ArticleValidationError, "expected a JSON object, got str")),
    ("a number", b"42\n", err(ArticleValidationError, "expected a JSON object, got int")),
    ("null", b"null\n", err(ArticleValidationError, "expected a JSON object, got None")),
    (
        "duplicate key",
        b'{"id": "a", "id": "b", "title": "t"}\n',
        err(ArticleValidationError, "key 'id' appears twice"),
    ),
    ("NaN in metadata", b'{"id": "a", "title": "t", "x": NaN}\n', ok(_ids("a"))),
    (
        "escaped lone surrogate",
        b'{"id": "a", "title": "x\\ud800"}\n',
        ok(_one("title", "x\ufffd")),
    ),
    ("escaped NUL", b'{"id": "a", "title": "x\\u0000"}\n', ok(_one("title", "x\x00"))),
    (
        "surrogate pair",
        b'{"id": "a", "title": "\\ud83d\\ude00"}\n',
        ok(_one("title", "\U0001f600")),
    ),
    ("many bad lines", b"x\n" * 30, err(ArticleValidationError, "30 problems")),
]


@pytest.mark.parametrize("case", FILE_CASES, ids=lambda c: c[0])
def test_jsonl_file(case: tuple[str, bytes, Expect], tmp_path: Path) -> None:
    _, content, expect = case
    path = tmp_path / "a.jsonl"
    path.write_bytes(content)
    _run(expect, lambda: read_jsonl(path))


def test_jsonl_path_errors(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match="is a directory"):
        read_jsonl(tmp_path)
    with pytest.raises(FileNotFoundError):
        read_jsonl(tmp_path / "missing.jsonl")


# -- embeddings --------------------------------------------------------------------------------
RAW = np.array([[3.0, 4.0, 0.0], [0.0, 1.0, 1.0]])
UNIT = RAW / np.linalg.norm(RAW, axis=1, keepdims=True)


def _unit(result: np.ndarray) -> bool:
    return result.dtype == np.float32 and np.allclose(result, UNIT, atol=1e-6)


EMBEDDING_CASES: list[tuple[str, Any, Expect]] = [
    ("float64", RAW, ok(_unit)),
    ("float32", RAW.astype(np.float32), ok(_unit)),
    ("float16", RAW.astype(np.float16), ok(_unit)),
    ("int", RAW.astype(np.int64), ok(_unit)),
    ("list of lists", RAW.tolist(), ok(_unit)),
    ("tuple rows", tuple(map(tuple, RAW.tolist())), ok(_unit)),
    ("1e20", RAW * 1e20, ok(_unit)),  # once overflowed the float32 norm into zero rows
    ("1e30", RAW * 1e30, ok(_unit)),
    ("1e300", RAW * 1e300, ok(_unit)),
    ("1e-30", RAW * 1e-30, ok(_unit)),
    ("denormal", RAW * 1e-310, ok(_unit)),
    ("float32 max", RAW / 5 * np.finfo(np.float32).max, ok(_unit)),
    ("mixed scales", RAW * np.array([[1e25], [1e-25]]), ok(_unit)),
    ("negative huge", -RAW * 1e20, ok(lambda r: np.allclose(r, -UNIT, atol=1e-6))),
    ("complex", RAW.astype(complex), err(TypeError, "complex")),
    ("complex imaginary", RAW + 1j, err(TypeError, "complex")),
    ("ragged", [[1.0, 2.0, 3.0], [1.0, 2.0]], err(ValueError, "rows of one length")),
    ("ragged first", [[1.0], [1.0, 2.0, 3.0]], err(ValueError, "rows of one length")),
    ("strings", [["a", "b", "c"], ["d", "e", "f"]], err(TypeError, "numeric")),
    ("object", np.array([[object()] * 3] * 2), err(TypeError, "numeric")),
    ("bool", RAW > 0, err(TypeError, "numeric")),
    ("NaN", np.where(RAW == 0, np.nan, RAW), err(ValueError, "NaN or infinite")),
    ("inf", np.where(RAW == 0, np.inf, RAW), err(ValueError, "NaN or infinite")),
    ("-inf", np.where(RAW == 0, -np.inf, RAW), err(ValueError, "NaN or infinite")),
    ("float64 max", np.full((2, 3), np.finfo(float).max), ok(lambda r: np.allclose(r, 3**-0.5))),
    ("zero row", np.array([[1.0, 0, 0], [0, 0, 0]]), err(ValueError, "all-zero row (row 1)")),
    ("1-D", RAW[0], err(ValueError, "must give shape (2, dim)")),
    ("3-D", RAW[None], err(ValueError, "must give shape (2, dim)")),
    ("wrong n", RAW[:1], err(ValueError, "must give shape (2, dim)")),
    ("no columns", np.zeros((2, 0)), err(ValueError, "must give shape (2, dim)")),
    ("None", None, err(ValueError, "must give shape (2, dim)")),
]


@pytest.mark.parametrize("case", EMBEDDING_CASES, ids=lambda c: c[0])
def test_embeddings(case: tuple[str, Any, Expect]) -> None:
    _, value, expect = case
    with np.errstate(over="ignore"):
        _run(expect, lambda: check_embeddings(value, 2))


@pytest.mark.parametrize("case", EMBEDDING_CASES, ids=lambda c: c[0])
def test_embeddings_through_the_engine_frame(case: tuple[str, Any, Expect]) -> None:
    from storycluster.distributed import frame_from_articles

    _, value, expect = case
    articles = [Article(id="a", title="x"), Article(id="b", title="y")]

    def frame_vectors() -> np.ndarray:
        return np.stack(frame_from_articles(articles, value)["embedding"].tolist())

    with np.errstate(over="ignore"):
        _run(expect, frame_vectors)


def test_huge_embeddings_cluster_as_normal_ones() -> None:
    records, gold = event_articles()
    vectors = event_embeddings(gold).astype(np.float64)
    normal = StoryClusterer(model=HashingEmbedder(), detect_language=False)
    huge = StoryClusterer(model=HashingEmbedder(), detect_language=False)
    normal.fit(records, embeddings=vectors)
    huge.fit(records, embeddings=vectors * 1e20)
    assert huge.labels_.tolist() == normal.labels_.tolist()
    assert len(huge.events_) < len(records)  # not all-zero vectors, every pair alike at 0
    with pytest.raises(TypeError, match="complex"):
        normal.fit(records, embeddings=vectors.astype(complex))


# -- text that once broke the pipeline ---------------------------------------------------------
def test_lone_surrogate_reaches_cache_and_writers(tmp_path: Path) -> None:
    from storycluster._features.cache import CachedEmbedder
    from storycluster.io import write_assignments_jsonl, write_events_jsonl

    articles = as_articles([{"id": "a", "title": "Quake \ud800 Nepal", "text": "x\udfffy"}])
    embedder = CachedEmbedder(HashingEmbedder(), cache_dir=tmp_path / "cache")
    model = StoryClusterer(model=embedder, detect_language=False).fit(articles)
    write_assignments_jsonl(model.result_, articles, tmp_path / "a.jsonl")
    write_events_jsonl(model.events_, tmp_path / "e.jsonl")
    assert "\ufffd" in (tmp_path / "a.jsonl").read_text(encoding="utf-8")


def test_huge_title_is_bounded_for_the_embedder() -> None:
    embedder = HashingEmbedder()
    model = StoryClusterer(model=embedder, detect_language=False)
    model.fit([{"id": "a", "title": HUGE}, {"id": "b", "title": "short"}])
    assert max(len(t) for t in embedder.texts) <= 2_000 + 2 + model.lead_chars
    assert model.events_[0].representative.title in (HUGE, "short")  # the input, kept whole


# -- the command line: error: ... and exit 2, never a traceback -------------------------------
@pytest.fixture
def fake_model() -> HashingEmbedder:
    """The fake the CLI runs with, through its ``embedder`` seam (no module global patched)."""
    return HashingEmbedder()


def _sample_file(tmp_path: Path, extra: bytes = b"") -> Path:
    records, _ = event_articles()
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in records) + extra)
    return path


def _bad(content: bytes) -> Callable[[Path], str]:
    return lambda d: _write(d, content)


def _sample(d: Path) -> str:
    return str(_sample_file(d))


def _blocked(d: Path) -> str:
    return str(_sample_file(d) / "x.jsonl")  # a path under a file


_DATED = b'{"id": 1, "title": "t", "published_at": "%s"}'
# (name, command, input, options, fragment of the message)
CLI_CASES: list[tuple[str, str, Callable[[Path], str], list[str], str]] = [
    ("empty file", "cluster", _bad(b""), [], "holds no articles"),
    ("blank file", "cluster", _bad(b"\n\n"), [], "holds no articles"),
    ("directory", "cluster", str, [], "is a directory"),
    ("missing", "cluster", lambda d: str(d / "nope.jsonl"), [], "No such file"),
    ("deep JSON", "cluster", _bad(DEEP), [], "nested too deeply"),
    ("not UTF-8", "cluster", _bad(b"\xff\n"), [], "not valid UTF-8"),
    ("JSON array", "cluster", _bad(b"[1]\n"), [], "JSON array"),
    ("bad date", "cluster", _bad(_DATED % b"x"), [], "published_at"),
    ("far future", "cluster", _bad(_DATED % b"9021-01-01"), [], "out of range"),
    ("duplicate id", "cluster", _bad(GOOD * 2), [], "duplicate id"),
    ("threshold nan", "cluster", _sample, ["--threshold", "nan"], "finite"),
    ("threshold inf", "cluster", _sample, ["--threshold=-inf"], "finite"),
    ("threshold text", "cluster", _sample, ["--threshold", "x"], "not a number"),
    ("top negative", "cluster", _sample, ["--top", "-1"], "0 or more"),
    ("-o directory", "cluster", _sample, ["-o", "{dir}"], "is a directory"),
    ("-o trailing slash", "cluster", _sample, ["-o", "{dir}/new/"], "is a directory"),
    ("-o under a file", "cluster", _sample, ["-o", "{blocked}"], "a file is in the way"),
    ("--events under a file", "cluster", _sample, ["--events", "{blocked}"], "in the way"),
    ("evaluate empty", "evaluate", _bad(b""), [], "holds no articles"),
    ("evaluate directory", "evaluate", str, [], "is a directory"),
    ("evaluate threshold", "evaluate", _sample, ["--threshold", "nan"], "finite"),
    ("evaluate no labels", "evaluate", _bad(GOOD), [], "have no 'event_id' label"),
    ("clean empty", "clean", _bad(b""), [], "holds no articles"),
    ("clean directory", "clean", str, [], "is a directory"),
    ("clean deep JSON", "clean", _bad(DEEP), [], "nested too deeply"),
    ("clean examples", "clean", _sample, ["--examples", "x"], "not an integer"),
]


def _write(directory: Path, content: bytes) -> str:
    path = directory / "bad.jsonl"
    path.write_bytes(content)
    return str(path)


@pytest.mark.parametrize("case", CLI_CASES, ids=lambda c: c[0])
def test_cli_error_exit_2(
    case: tuple[str, str, Callable[[Path], str], list[str], str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fake_model: HashingEmbedder,
) -> None:
    _, command, make_input, options, fragment = case
    places = {"dir": str(tmp_path), "blocked": _blocked(tmp_path)}
    argv = [command, make_input(tmp_path), *(o.format(**places) for o in options)]
    try:
        code = main(argv, embedder=fake_model)
    except SystemExit as exit_:  # argparse refuses an option value, or a missing label
        code = 2 if isinstance(exit_.code, str) else exit_.code
        if isinstance(exit_.code, str):
            print(exit_.code, file=sys.stderr)
    stderr = capsys.readouterr().err
    assert code == 2, stderr
    assert "error:" in stderr and fragment in stderr, stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    "extra",
    [
        b'{"id": "s1", "title": "Quake \\ud800 in Nepal", "text": "Lone \\udfff surrogate"}\n',
        b'{"id": "s2", "title": "' + b"long " * 200_000 + b'"}\n',
        b'{"id": "s4", "title": "t", "note": "lone \\ud800 in metadata"}\n',
        b'{"id": "s3", "title": "NUL \\u0000, \\u202e bidi", '
        b'"published_at": "Oct 18, 2021 4:15 PM"}\n',
    ],
    ids=["lone surrogate", "1 MB title", "surrogate in metadata", "odd unicode and US date"],
)
def test_cli_accepts_odd_but_valid_input(
    extra: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str], fake_model: HashingEmbedder
) -> None:
    out = tmp_path / "out" / "a.jsonl"
    argv = ["cluster", str(_sample_file(tmp_path, extra)), "-o", str(out), "--quiet"]
    code = main(argv, embedder=fake_model)
    assert code == 0, capsys.readouterr().err
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 15


def test_cli_subprocess_prints_no_traceback(tmp_path: Path) -> None:
    import subprocess

    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    result = subprocess.run(
        [sys.executable, "-m", "storycluster.cli", "cluster", str(empty)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_messages_name_what_went_wrong() -> None:
    # unclear messages of the issue, now each names its cause
    frame = pd.DataFrame({"id": [1, math.nan, 3], "title": ["a", "b", "c"]})
    with pytest.raises(ArticleValidationError) as info:
        articles_from_dataframe(frame)
    assert "row 1: id: missing" in str(info.value) and "1.0" not in str(info.value)
    with pytest.raises(ValueError, match=re.escape("(row 0 has 2, row 1 has 1)")):
        check_embeddings([[1.0, 2.0], [3.0]], 2)


# -- the stream: the same edge -----------------------------------------------------------------
_QUAKE = "Earthquake of magnitude 7 strikes Nepal near Kathmandu, rescuers search rubble"


def _stream() -> Any:
    from storycluster.stream import StreamClusterer

    return StreamClusterer(
        model=HashingEmbedder(),
        short_threshold=4.75,
        short_dense_weight=0.25,
        short_lexical_weight=0.5,
    )


def _quake(i: int, when: str | None) -> dict[str, Any]:
    return {"id": f"q{i}", "title": _QUAKE, "text": f"{_QUAKE}. More soon.", "published_at": when}


def test_stream_refuses_a_far_future_date_and_undated_articles_still_join() -> None:
    stream = _stream()
    stream.partial_fit([_quake(0, "2021-03-01"), _quake(1, "2021-03-01T06:00:00Z")])
    quake = stream.event_of("q0")
    with pytest.raises(ArticleValidationError, match="out of range"):
        stream.partial_fit([_quake(2, "9021-03-01")])  # once moved the stream clock 7000 years
    assert stream.n_articles == 2
    stream.partial_fit([_quake(3, None)])
    assert stream.event_of("q3") == quake


def test_stream_event_of_reads_ids_as_input_does() -> None:
    stream = _stream()
    stream.partial_fit([{**_quake(0, "2021-03-01"), "id": 7}, _quake(1, "2021-03-01")])
    assert stream.event_of(7) == stream.event_of("7") == stream.event_of(np.int64(7))
    with pytest.raises(KeyError):
        stream.event_of(8)


# -- the real model (slow) ---------------------------------------------------------------------
@pytest.mark.slow
def test_a_5mb_title_costs_what_a_normal_one_does(tmp_path: Path) -> None:
    import time

    from storycluster._features.embedding import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(show_progress_bar=False)
    model = StoryClusterer(model=embedder, detect_language=False)
    normal = [{"id": "a", "title": "Quake in Nepal", "text": "x"}, {"id": "b", "title": "Rates"}]
    model.fit(normal)  # loads the model
    started = time.perf_counter()
    model.fit(normal)
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    model.fit([{**normal[0], "title": HUGE}, {"id": "b", "title": "Quake \ud800"}])
    # was 20 s: the tokenizer read all 5 MB
    assert time.perf_counter() - started < baseline + 3.0
