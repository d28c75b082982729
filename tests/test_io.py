"""Tests for storycluster.io: articles in (JSONL, records, DataFrames), events out."""

from __future__ import annotations

import json
import math
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from storycluster.io import (
    ArticleValidationError,
    RecordError,
    articles_from_dataframe,
    articles_from_records,
    as_articles,
    events_to_dataframe,
    read_jsonl,
    result_to_dataframe,
    write_assignments_jsonl,
    write_events_jsonl,
)
from storycluster.models import Article, ClusteringResult, Event, EventMember

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _write_jsonl(path: Path, rows: list[Any]) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _record(i: int | str, **fields: Any) -> dict[str, Any]:
    return {"id": f"a{i}" if isinstance(i, int) else i, "title": f"Title {i}", **fields}


def _articles() -> list[Article]:
    return [
        Article(id="a1", title="Quake hits Nepal", source="BBC", published_at="2015-04-25"),
        Article(id="a2", title="Nepal quake toll rises", source="CNN", text="Body."),
        Article(
            id="a3",
            title="Election called",
            published_at="2015-05-01T10:00:00+02:00",
            metadata={"gold": "gold-7"},
        ),
    ]


def _result(articles: list[Article]) -> ClusteringResult:
    a1, a2, a3 = articles
    quake = Event(
        id="s-quake",
        size=2,
        representative=a1,
        members=[
            EventMember(article_id="a1", title=a1.title, similarity=0.9, is_representative=True),
            EventMember(article_id="a2", title=a2.title, similarity=0.8, duplicate_of="a1"),
        ],
        first_published=a1.published_at,
        last_published=a1.published_at,
        sources=["BBC", "CNN"],
        keywords=["nepal", "quake"],
        label="Quake hits Nepal",
    )
    election = Event(
        id="s-election",
        size=1,
        representative=a3,
        members=[EventMember(article_id="a3", similarity=1.0, is_representative=True)],
        first_published=a3.published_at,
        last_published=a3.published_at,
        label="Election called",
    )
    return ClusteringResult(
        events=[quake, election], article_ids=["a1", "a2", "a3"], labels=[0, 0, 1]
    )


# --------------------------------------------------------------------------------------------
# read_jsonl


def test_read_jsonl_maps_fields_and_keeps_the_rest_in_metadata(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "articles.jsonl",
        [
            {
                "id": "x1",
                "title": "Héllo",
                "text": "Body",
                "source": "AP",
                "url": "https://example.com/1",
                "published_at": "2021-10-18T16:15:00-07:00",
                "language": "en",
                "event_id": "ev-1",
                "meta": {"stance": "left", "n": 3},
            },
            "",
            "   ",
            {"id": 42, "text": "Only a text", "published_at": "2021-10-18"},
            {"id": "x3", "title": "T", "published_at": "2021-10-18T16:15:00Z", "meta": None},
        ],
    )
    first, second, third = read_jsonl(path)
    assert first.title == "Héllo" and first.source == "AP" and first.language == "en"
    assert first.published_at == datetime(2021, 10, 18, 23, 15, tzinfo=UTC)
    assert first.published_at.utcoffset() == timedelta(hours=-7)
    assert first.metadata == {"event_id": "ev-1", "stance": "left", "n": 3}
    assert second.id == "42"
    assert second.published_at == datetime(2021, 10, 18, tzinfo=UTC)
    assert third.published_at == datetime(2021, 10, 18, 16, 15, tzinfo=UTC)
    assert third.metadata == {}


def test_read_jsonl_accepts_a_str_path_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(_record(1)).encode() + b"\r\n")
    assert [a.id for a in read_jsonl(str(path))] == ["a1"]


def test_read_jsonl_merges_metadata_and_meta(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "a.jsonl",
        [_record(1, metadata={"x": 1}, meta={"y": 2}, event_id="e", extra=[1, 2])],
    )
    assert read_jsonl(path)[0].metadata == {"x": 1, "y": 2, "event_id": "e", "extra": [1, 2]}


def test_read_jsonl_conflicting_metadata_keys_are_an_error(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "a.jsonl", [_record(1, meta={"event_id": "a"}, event_id="b")])
    with pytest.raises(ArticleValidationError, match="'event_id' given twice"):
        read_jsonl(path)
    same = _write_jsonl(tmp_path / "b.jsonl", [_record(1, meta={"event_id": "a"}, event_id="a")])
    assert read_jsonl(same)[0].metadata == {"event_id": "a"}


def test_read_jsonl_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_jsonl(tmp_path / "nope.jsonl")


@pytest.mark.parametrize(
    ("bad", "field", "reason"),
    [
        ({"published_at": "yesterday"}, "published_at", "not a date this library can read"),
        ({"title": "", "text": "  "}, "title/text", "neither a title nor a text"),
        ({"title": None}, "title/text", "neither a title nor a text"),
        ({"title": 5}, "title", "valid string (got int 5)"),
        ({"title": ["a", "b"]}, "title", "valid string (got list"),
        ({"id": True}, "id", "expected a string or an integer, got bool"),
        ({"id": ""}, "id", "empty or blank"),
        ({"meta": [1]}, "meta", "must be an object"),
    ],
)
def test_read_jsonl_invalid_field_names_line_id_and_field(
    tmp_path: Path, bad: dict[str, Any], field: str, reason: str
) -> None:
    rows = [_record(i) for i in range(1, 7)]
    rows[4].update(bad)  # the 5th record: line 5
    path = _write_jsonl(tmp_path / "articles.jsonl", rows)
    with pytest.raises(ArticleValidationError) as info:
        read_jsonl(path)
    message = str(info.value)
    assert message.startswith(f"{path} line 5"), message
    assert f"{field}: " in message and reason in message, message
    if "id" not in bad:
        assert "(id 'a5')" in message
    assert len(info.value.errors) == 1
    position, record_id, detail = info.value.errors[0]
    assert position == 5 and detail.startswith(f"{field}: ")
    assert record_id == (None if "id" in bad else "a5")
    assert info.value.source == str(path)
    assert isinstance(info.value, ValueError)


def test_read_jsonl_missing_id(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "a.jsonl", [{"title": "No id"}])
    with pytest.raises(ArticleValidationError, match=r"line 1: id: Field required"):
        read_jsonl(path)


def test_read_jsonl_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = _write_jsonl(
        tmp_path / "articles.jsonl", [_record(1), _record(2), '{"id": "a3", "title": "x",,}']
    )
    with pytest.raises(ArticleValidationError) as info:
        read_jsonl(path)
    assert "line 3: invalid JSON" in str(info.value)
    assert "column" in str(info.value)
    assert info.value.errors == [RecordError(3, None, info.value.errors[0].message)]


def test_read_jsonl_not_an_object_and_bad_utf8(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'["a", "b"]\n{"id": "x", "title": "caf\xe9"}\n')
    with pytest.raises(ArticleValidationError) as info:
        read_jsonl(path)
    message = str(info.value)
    assert "line 1: expected a JSON object, got list" in message
    assert "line 2: not valid UTF-8 (byte 0xe9" in message
    assert "looks like one JSON array" in message


def test_read_jsonl_duplicate_ids_name_ids_and_lines(tmp_path: Path) -> None:
    rows = [_record(1), _record(2), _record(1), _record(3), _record(2), _record(1)]
    path = _write_jsonl(tmp_path / "a.jsonl", rows)
    with pytest.raises(ArticleValidationError) as info:
        read_jsonl(path)
    message = str(info.value)
    assert "duplicate id 'a1' (lines 1, 3, 6)" in message
    assert "duplicate id 'a2' (lines 2, 5)" in message
    assert [(e.position, e.id) for e in info.value.errors] == [(3, "a1"), (5, "a2")]


def test_read_jsonl_duplicate_counts_invalid_records_too(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "a.jsonl", [_record(1), _record(1, published_at="bad")])
    with pytest.raises(ArticleValidationError) as info:
        read_jsonl(path)
    assert len(info.value.errors) == 2
    assert "published_at" in str(info.value) and "duplicate id 'a1'" in str(info.value)


def test_read_jsonl_lists_all_errors_in_one_exception(tmp_path: Path) -> None:
    rows: list[Any] = [_record(i) for i in range(1, 31)]
    for i in range(0, 30, 2):  # 15 bad dates on odd lines
        rows[i]["published_at"] = "not a date"
    for i in range(1, 29, 4):  # 7 bad titles
        rows[i]["title"] = 7
    rows[29] = "{broken"
    path = _write_jsonl(tmp_path / "many.jsonl", rows)
    with pytest.raises(ArticleValidationError) as info:
        read_jsonl(path)
    errors = info.value.errors
    assert len(errors) == 15 + 7 + 1
    assert [e.position for e in errors] == sorted(e.position for e in errors)
    message = str(info.value)
    assert message.splitlines()[0] == f"23 problems in {path}; fix them all, then load again:"
    assert "line 1 (id 'a1'): published_at" in message
    assert "line 2 (id 'a2'): title" in message
    assert "... and 3 more (all in .errors)" in message
    assert "line 30" not in message  # past the cap, but kept in .errors
    assert errors[-1].position == 30 and "invalid JSON" in errors[-1].message


def test_one_record_with_several_bad_fields(tmp_path: Path) -> None:
    path = _write_jsonl(tmp_path / "a.jsonl", [_record(1, title=5, published_at="x", url=3)])
    with pytest.raises(ArticleValidationError) as info:
        read_jsonl(path)
    fields = sorted(e.message.split(":")[0] for e in info.value.errors)
    assert fields == ["published_at", "title", "url"]


def test_read_jsonl_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n", encoding="utf-8")
    assert read_jsonl(path) == []


def test_error_pickles_with_its_errors(tmp_path: Path) -> None:
    import pickle

    path = _write_jsonl(tmp_path / "a.jsonl", [_record(1, title=5)])
    with pytest.raises(ArticleValidationError) as info:
        read_jsonl(path)
    copy = pickle.loads(pickle.dumps(info.value))
    assert str(copy) == str(info.value)


# --------------------------------------------------------------------------------------------
# articles_from_records


def test_articles_from_records_mixes_dicts_and_articles() -> None:
    article = Article(id="b", title="B")
    records = [{"id": 1, "title": "A", "meta": {"k": "v"}, "gold": 3}, article]
    first, second = articles_from_records(records)
    assert first.id == "1" and first.metadata == {"k": "v", "gold": 3}
    assert second is article
    assert records[0]["meta"] == {"k": "v"}  # input untouched


def test_articles_from_records_accepts_a_generator() -> None:
    assert len(articles_from_records(_record(i) for i in range(3))) == 3


def test_articles_from_records_errors_name_the_index() -> None:
    records: list[Any] = [
        _record(0),
        ["not", "a", "dict"],
        _record(2, published_at="soon"),
        Article(id="a0", title="dup"),
        None,
    ]
    with pytest.raises(ArticleValidationError) as info:
        articles_from_records(records)
    message = str(info.value)
    assert message.startswith("4 problems in records")
    assert "record 1: expected a dict or an Article, got list" in message
    assert "record 2 (id 'a2'): published_at" in message
    assert "record 3 (id 'a0'): id: duplicate id 'a0' (records 0, 3)" in message
    assert "record 4: expected a dict or an Article, got None" in message


@pytest.mark.parametrize("bad", [{"id": "a", "title": "t"}, "a1", Article(id="a", title="t")])
def test_articles_from_records_refuses_a_single_record(bad: Any) -> None:
    with pytest.raises(TypeError, match="wrap a single record in a list"):
        articles_from_records(bad)


# --------------------------------------------------------------------------------------------
# as_articles


def test_as_articles_dispatch() -> None:
    articles = _articles()
    assert as_articles(articles) == articles
    assert as_articles(tuple(articles)) == articles
    assert [a.id for a in as_articles([{"id": "x", "text": "y"}])] == ["x"]
    assert as_articles([]) == []


@pytest.mark.parametrize("path", ["articles.jsonl", Path("articles.jsonl")])
def test_as_articles_refuses_a_path(path: str | os.PathLike[str]) -> None:
    with pytest.raises(TypeError, match=r"read_jsonl\(path\)"):
        as_articles(path)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"id": "a", "title": "t"}, "single dict; wrap it in a list"),
        (Article(id="a", title="t"), "single Article; wrap it in a list"),
        (
            42,
            "dicts or plain strings, or a pandas DataFrame or Series; got int",
        ),
        ({"a", "b"}, "got a set, which has no order"),
        (None, "got None"),
    ],
)
def test_as_articles_refuses_other_types(data: Any, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        as_articles(data)


def test_as_articles_propagates_validation_errors() -> None:
    with pytest.raises(ArticleValidationError, match="record 0"):
        as_articles([{"id": "a"}])


# --------------------------------------------------------------------------------------------
# Writing


def test_write_assignments_round_trip(tmp_path: Path) -> None:
    articles = _articles()
    result = _result(articles)
    out = tmp_path / "assignments.jsonl"
    write_assignments_jsonl(result, articles, out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["a1", "a2", "a3"]
    assert list(rows[0]) == [
        "id",
        "title",
        "text",
        "source",
        "url",
        "published_at",
        "language",
        "metadata",
        "event_id",
        "event_label",
        "story_id",
        "story_label",
        "similarity",
        "is_representative",
        "duplicate_of",
    ]
    assert rows[0]["published_at"] == "2015-04-25T00:00:00+00:00"
    assert rows[1]["published_at"] is None
    assert rows[2]["published_at"] == "2015-05-01T10:00:00+02:00"
    assert [r["event_id"] for r in rows] == ["s-quake", "s-quake", "s-election"]
    assert [r["event_label"] for r in rows] == [0, 0, 1]
    assert rows[1]["similarity"] == 0.8 and rows[1]["duplicate_of"] == "a1"
    assert rows[0]["is_representative"] is True and rows[1]["is_representative"] is False
    assert rows[2]["metadata"] == {"gold": "gold-7"}  # kept apart from the assignment
    # The file reads back as the same articles, with the assignment in metadata.
    back = read_jsonl(out)
    assert [a.model_dump(exclude={"metadata"}) for a in back] == [
        a.model_dump(exclude={"metadata"}) for a in articles
    ]
    assert back[2].metadata == {
        "gold": "gold-7",
        "event_id": "s-election",
        "event_label": 1,
        "story_id": None,
        "story_label": None,
        "similarity": 1.0,
        "is_representative": True,
        "duplicate_of": None,
    }
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_gold_event_id_clashes_with_the_assignment_column(tmp_path: Path) -> None:
    # A gold label named like the output column (the labelled sets call theirs event_id) is
    # kept in metadata on write; reading the file back reports the key given twice rather
    # than letting one value overwrite the other.
    articles = [a.model_copy(update={"metadata": {"event_id": "gold"}}) for a in _articles()]
    out = tmp_path / "assignments.jsonl"
    write_assignments_jsonl(_result(articles), articles, out)
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[0])["metadata"] == {
        "event_id": "gold"
    }
    with pytest.raises(ArticleValidationError, match="'event_id' given twice"):
        read_jsonl(out)


def test_write_assignments_checks_the_articles_match(tmp_path: Path) -> None:
    articles = _articles()
    result = _result(articles)
    out = tmp_path / "out.jsonl"
    with pytest.raises(ValueError, match="got 2 articles for a result over 3"):
        write_assignments_jsonl(result, articles[:2], out)
    with pytest.raises(ValueError, match=r"articles\[0\] has id 'a2'"):
        write_assignments_jsonl(result, [articles[1], articles[0], articles[2]], out)
    assert not out.exists()


def test_write_assignments_handles_awkward_metadata(tmp_path: Path) -> None:
    article = Article(
        id="a1",
        title="T",
        metadata={"when": datetime(2020, 1, 2, tzinfo=UTC), "nan": math.nan, "s": {1}},
    )
    result = ClusteringResult(
        events=[
            Event(
                id="s",
                size=1,
                representative=article,
                members=[EventMember(article_id="a1", similarity=1.0)],
            )
        ],
        article_ids=["a1"],
        labels=[0],
    )
    out = tmp_path / "out.jsonl"
    write_assignments_jsonl(result, [article], out)
    row = json.loads(out.read_text(encoding="utf-8"))
    assert row["metadata"] == {"when": "2020-01-02T00:00:00+00:00", "nan": None, "s": [1]}


def test_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("old\n", encoding="utf-8")
    os.chmod(out, 0o640)
    articles = _articles()
    articles[2] = Article(id="a3", title="x", metadata={"bad": object()})
    with pytest.raises(TypeError, match="cannot write 'a3' as JSON"):
        write_assignments_jsonl(_result(_articles()), articles, out)
    assert out.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
    write_assignments_jsonl(_result(_articles()), _articles(), out)
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3
    if os.name == "posix":
        assert out.stat().st_mode & 0o777 == 0o640  # permissions of the replaced file kept


def test_write_events_jsonl(tmp_path: Path) -> None:
    result = _result(_articles())
    out = tmp_path / "clusters.jsonl"
    write_events_jsonl(result, out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["s-quake", "s-election"]
    assert rows[0]["representative"]["id"] == "a1"
    assert [Event.model_validate(r) for r in rows] == result.events
    write_events_jsonl(result.events[:1], out)
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1
    with pytest.raises(TypeError, match="item 0 is dict, not an Event"):
        write_events_jsonl([{"id": "x"}], out)  # type: ignore[list-item]
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1


def test_write_to_a_missing_directory_fails(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_events_jsonl([], tmp_path / "no" / "such.jsonl")


# --------------------------------------------------------------------------------------------
# DataFrames


def test_articles_from_dataframe_with_column_mapping_and_missing_cells() -> None:
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    df = pd.DataFrame(
        {
            "doc_id": [1, 2, 3],
            "headline": ["A", None, "C"],
            "body": ["text a", "text b", np.nan],
            "published_at": pd.to_datetime(["2021-01-02 03:04:05", None, "2021-01-03 00:00:00"]),
            "gold": [1.5, np.nan, 3.0],
            "tags": [["x"], [], ["y", "z"]],
            "meta": [{"k": 1}, None, {"k": 3}],
            7: ["int", "column", "name"],
        }
    )
    articles = articles_from_dataframe(
        df, columns={"id": "doc_id", "title": "headline", "text": "body"}
    )
    assert [a.id for a in articles] == ["1", "2", "3"]
    assert [a.title for a in articles] == ["A", None, "C"]
    assert [a.text for a in articles] == ["text a", "text b", None]
    assert articles[0].published_at == datetime(2021, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert type(articles[0].published_at) is datetime
    assert articles[1].published_at is None
    assert articles[0].metadata == {"gold": 1.5, "tags": ["x"], "k": 1, "7": "int"}
    assert articles[1].metadata == {"gold": None, "tags": [], "7": "column"}
    assert type(articles[0].metadata["gold"]) is float


def test_articles_from_dataframe_errors() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"doc_id": ["a", "b", "a"], "title": ["x", "", "z"]})
    with pytest.raises(ValueError, match=r"no 'id' column.*columns=\{'id': 'doc_id'\}"):
        articles_from_dataframe(df)
    with pytest.raises(ValueError, match="unknown: 'body'"):
        articles_from_dataframe(df, columns={"id": "doc_id", "body": "title"})
    with pytest.raises(ValueError, match="'text': 'missing'"):
        articles_from_dataframe(df, columns={"id": "doc_id", "text": "missing"})
    with pytest.raises(ArticleValidationError) as info:
        articles_from_dataframe(df, columns={"id": "doc_id"})
    message = str(info.value)
    assert "row 1 (id 'b'): title/text" in message
    assert "duplicate id 'a' (rows 0, 2)" in message
    with pytest.raises(TypeError, match="got list"):
        articles_from_dataframe([])  # type: ignore[arg-type]


def test_as_articles_accepts_a_dataframe() -> None:
    pd = pytest.importorskip("pandas")
    assert "pandas" in sys.modules
    df = pd.DataFrame({"id": ["a", "b"], "text": ["x", "y"]})
    assert [a.id for a in as_articles(df)] == ["a", "b"]


def test_result_to_dataframe() -> None:
    pytest.importorskip("pandas")
    articles = _articles()
    result = _result(articles)
    df = result_to_dataframe(result)
    assert list(df.columns) == [
        "article_id",
        "event_id",
        "event_label",
        "story_id",
        "story_label",
        "similarity",
        "is_representative",
        "duplicate_of",
    ]
    assert df["event_id"].tolist() == ["s-quake", "s-quake", "s-election"]
    assert df["similarity"].tolist() == [0.9, 0.8, 1.0]
    assert df["duplicate_of"].isna().tolist() == [True, False, True]
    full = result_to_dataframe(result, articles)
    assert full["title"].tolist() == [a.title for a in articles]
    assert full["source"].fillna("").tolist() == ["BBC", "CNN", ""]
    published = full["published_at"]
    assert str(published.dtype).startswith("datetime64") and str(published.dt.tz) == "UTC"
    assert published.isna().tolist() == [False, True, False]
    assert published[2].to_pydatetime() == articles[2].published_at
    with pytest.raises(ValueError, match="in the same order"):
        result_to_dataframe(result, articles[::-1])


def test_events_to_dataframe() -> None:
    pytest.importorskip("pandas")
    result = _result(_articles())
    df = events_to_dataframe(result)
    assert df["event_id"].tolist() == ["s-quake", "s-election"]
    assert df["size"].tolist() == [2, 1]
    assert df["keywords"].tolist() == ["nepal, quake", ""]
    assert df["n_sources"].tolist() == [2, 0]
    assert df["representative_id"].tolist() == ["a1", "a3"]
    assert df["representative_title"].tolist() == ["Quake hits Nepal", "Election called"]
    assert df["first_published"][0].to_pydatetime() == result.events[0].first_published
    assert list(events_to_dataframe([]).columns) == list(df.columns)


def test_dataframe_round_trip_through_records() -> None:
    pd = pytest.importorskip("pandas")
    articles = _articles()
    df = pd.DataFrame([a.model_dump() for a in articles])
    assert articles_from_dataframe(df) == articles


# --------------------------------------------------------------------------------------------
# The bundled data sets


@pytest.mark.parametrize(("name", "count"), [("gvc", 510), ("ecbplus", 982)])
def test_real_data_sets_load(name: str, count: int) -> None:
    path = DATA / name / "articles.jsonl"
    if not path.is_file():
        pytest.skip(f"data set {name!r} not found at {path}")
    articles = read_jsonl(path)
    assert len(articles) == count
    assert len({a.id for a in articles}) == count
    assert all("event_id" in a.metadata for a in articles)
    assert "meta" not in articles[0].metadata


def test_pandas_is_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    with pytest.raises(ImportError, match=r'pip install "storycluster\[pandas\]"'):
        result_to_dataframe(_result(_articles()))
    with pytest.raises(ImportError, match="articles_from_dataframe"):
        articles_from_dataframe(object())  # type: ignore[arg-type]


def test_io_works_without_pandas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    articles = as_articles([{"id": "a1", "title": "Quake"}, *_articles()[1:]])
    result = _result(articles)
    write_assignments_jsonl(result, articles, tmp_path / "a.jsonl")
    write_events_jsonl(result, tmp_path / "c.jsonl")
    assert [a.id for a in read_jsonl(tmp_path / "a.jsonl")] == ["a1", "a2", "a3"]
    with pytest.raises(TypeError, match="got int"):
        as_articles(3)


def test_plain_strings_are_texts_with_position_ids() -> None:
    articles = as_articles(["Quake hits Nepal", "Rates rise again"])
    assert [(a.id, a.text, a.title) for a in articles] == [
        ("0", "Quake hits Nepal", None),
        ("1", "Rates rise again", None),
    ]


def test_plain_strings_fit(fake_embedder: Any) -> None:
    from storycluster import StoryClusterer

    model = StoryClusterer(model=fake_embedder, detect_language=False)
    model.fit(["Quake hits Nepal", "Nepal quake kills hundreds", "Rates rise"])
    assert model.result_.article_ids == ["0", "1", "2"]
    assert model.result_.event_of(2).size >= 1


def test_series_of_strings_takes_ids_from_index() -> None:
    pd = pytest.importorskip("pandas")
    articles = as_articles(pd.Series(["a b", "c d"], index=[10, 3]))
    assert [a.id for a in articles] == ["10", "3"]


def test_load_sample_is_the_repository_sample() -> None:
    import storycluster as sc
    from storycluster.io import read_jsonl

    articles = sc.load_sample()
    assert len(articles) == 95
    assert len({a.metadata["event_id"] for a in articles}) == 12
    repo = Path(__file__).resolve().parents[1]
    assert articles == read_jsonl(repo / "data" / "sample" / "articles.jsonl")
    packaged = repo / "storycluster" / "_data" / "sample"
    for name in ("articles.jsonl", "README.md", "LICENSEDATA.TXT", "COPYING-CC.TXT"):
        assert (packaged / name).read_bytes() == (repo / "data" / "sample" / name).read_bytes()
