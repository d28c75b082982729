"""Read articles in and write events out: JSON Lines, plain records and pandas DataFrames.

Input
    :func:`read_jsonl` reads one JSON object per line, in the schema of the bundled data sets
    (``id``, ``title``, ``text``, ``source``, ``url``, ``published_at``, ``language`` and
    anything else). :func:`articles_from_records` does the same for dicts already in memory and
    :func:`articles_from_dataframe` for a pandas DataFrame. :func:`as_articles` picks one of the
    last two for whatever a caller hands to the clusterer.

    The mapping is the same everywhere: fields of :class:`~storycluster.models.Article` map
    directly, a ``meta`` object is merged into ``metadata``, and every other field (e.g. a gold
    ``event_id``) is kept in ``metadata`` under its own name. A key given twice with different
    values (say in ``meta`` and at the top level) is an error rather than a silent overwrite.

    Bad input raises :class:`ArticleValidationError`, a ``ValueError`` that lists every problem
    at once (the first 20 in its message, all of them in ``.errors``), each with its line number
    or index, the record's id and the offending field, so a file can be fixed in one pass.

Output
    :func:`write_assignments_jsonl` writes one line per input article with its event,
    :func:`write_clusters_jsonl` one line per event; both write to a temporary file next to
    the target and rename it into place, so a reader never sees half a file.
    :func:`result_to_dataframe` and :func:`clusters_to_dataframe` build DataFrames.

pandas is optional: it is imported only by the functions that need it
(``pip install "storycluster[pandas]"``).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError, to_jsonable_python

from storycluster.models import Article, ClusteringResult, StoryCluster

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ArticleValidationError",
    "RecordError",
    "articles_from_dataframe",
    "articles_from_records",
    "as_articles",
    "clusters_to_dataframe",
    "read_jsonl",
    "result_to_dataframe",
    "write_assignments_jsonl",
    "write_clusters_jsonl",
]

#: Problems spelled out in an :class:`ArticleValidationError` message; the rest are counted.
_MAX_LISTED = 20
#: Longest input value quoted in an error message.
_MAX_QUOTED = 80
#: Fields of :class:`Article`, which records may set directly.
_FIELDS: frozenset[str] = frozenset(Article.model_fields)
#: The record key whose object is merged into ``metadata``.
_META = "meta"
_BOM = b"\xef\xbb\xbf"


class RecordError(NamedTuple):
    """One problem found in the input.

    ``position`` is the 1-based line number for a file and the 0-based index for records and
    DataFrame rows; ``id`` is the record's id when it could be read; ``message`` names the
    field(s) and the reason, e.g. ``"published_at: ..."``.
    """

    position: int
    id: str | None
    message: str


class ArticleValidationError(ValueError):
    """Input records that could not be turned into articles; lists every problem found.

    ``errors`` holds all of them as :class:`RecordError` tuples ``(position, id, message)``;
    ``source`` names the input (a file path, ``"records"`` or ``"DataFrame"``).
    """

    def __init__(
        self, message: str, errors: Sequence[RecordError] = (), source: str | None = None
    ) -> None:
        super().__init__(message)
        self.errors: list[RecordError] = list(errors)
        self.source = source


# --------------------------------------------------------------------------------------------
# Reading


class _RecordProblem(Exception):
    """Raised inside this module for a record that cannot become an article."""

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


def read_jsonl(path: str | os.PathLike[str]) -> list[Article]:
    """Read articles from a JSON Lines file, one object per line; blank lines are skipped.

    Raises :class:`ArticleValidationError` listing every invalid line (bad JSON, bad UTF-8,
    invalid fields, duplicate ids) and ``FileNotFoundError`` for a missing file.
    """
    name = os.fspath(path)
    first_content: bytes | None = None

    def records() -> Iterator[tuple[int, Any]]:
        nonlocal first_content
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                line = raw.removeprefix(_BOM) if number == 1 else raw
                if not line.strip():
                    continue
                if first_content is None:
                    first_content = line.lstrip()
                try:
                    text = line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    bad = line[exc.start : exc.start + 1].hex()
                    yield (
                        number,
                        _RecordProblem(
                            f"not valid UTF-8 (byte 0x{bad} at offset {exc.start}); "
                            "save the file as UTF-8"
                        ),
                    )
                    continue
                try:
                    yield number, json.loads(text)
                except json.JSONDecodeError as exc:
                    yield number, _RecordProblem(f"invalid JSON: {exc.msg} (column {exc.colno})")

    try:
        return _convert(records(), source=name, where=lambda n: f"line {n}", plural="lines")
    except ArticleValidationError as exc:
        if first_content is not None and first_content.startswith(b"["):
            hint = (
                "\n(the file looks like one JSON array, not JSON Lines: write one object per "
                "line, or json.load() it and pass the list to articles_from_records())"
            )
            raise ArticleValidationError(str(exc) + hint, exc.errors, exc.source) from None
        raise


def articles_from_records(records: Iterable[Mapping[str, Any] | Article]) -> list[Article]:
    """Turn dicts (or any mappings) into articles; :class:`Article` objects pass through as is.

    The mapping is that of :func:`read_jsonl`. Raises :class:`ArticleValidationError` listing
    every invalid record by its 0-based index, including items that are neither a mapping nor
    an :class:`Article`, and duplicate ids.
    """
    if isinstance(records, (str, bytes, Mapping, Article)):
        raise TypeError(
            f"articles_from_records() takes an iterable of records, got one "
            f"{type(records).__name__}; wrap a single record in a list"
        )
    return _convert(
        enumerate(records), source="records", where=lambda i: f"record {i}", plural="records"
    )


def articles_from_dataframe(
    df: pd.DataFrame, *, columns: Mapping[str, str] | None = None
) -> list[Article]:
    """Turn the rows of a pandas DataFrame into articles.

    ``columns`` maps :class:`Article` field names to column names, e.g.
    ``{"id": "doc_id", "text": "body"}``; a field not mapped is read from the column of its own
    name when there is one. Other columns go to ``metadata`` (a ``meta`` column of dicts is
    merged into it). Missing cells (``None``, ``NaN``, ``NaT``, ``pd.NA``) become ``None`` and
    pandas/numpy values become plain Python ones. Errors name the 0-based row position.
    """
    pd = _require_pandas("articles_from_dataframe")
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"articles_from_dataframe() takes a pandas DataFrame, got {_kind(df)}")
    mapping = dict(columns or {})
    unknown = sorted(set(mapping) - _FIELDS)
    if unknown:
        raise ValueError(
            f"columns= keys must be Article fields ({', '.join(sorted(_FIELDS))}); "
            f"unknown: {', '.join(map(repr, unknown))}"
        )
    available = list(df.columns)
    if df.columns.has_duplicates:
        duplicated = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise ValueError(f"DataFrame has duplicate column names: {', '.join(duplicated)}")
    missing = {field: col for field, col in mapping.items() if col not in df.columns}
    if missing:
        listed = ", ".join(f"{field!r}: {col!r}" for field, col in missing.items())
        raise ValueError(
            f"columns= names columns the DataFrame does not have ({listed}); "
            f"its columns are {_quote_list(available)}"
        )
    explicit = set(mapping.values())
    for field in sorted(_FIELDS - set(mapping)):
        if field in df.columns and field not in explicit:
            mapping[field] = field
    if "id" not in mapping:
        raise ValueError(
            "DataFrame has no 'id' column: say which column holds the article ids with "
            f"columns={{'id': '<column>'}} (its columns are {_quote_list(available)}); "
            "ids are needed to tell articles apart in the results"
        )
    field_of = {col: field for field, col in mapping.items()}
    values = {col: df[col].tolist() for col in available}
    extra_columns = [col for col in available if col not in field_of]

    def records() -> Iterator[tuple[int, dict[str, Any]]]:
        for row in range(len(df)):
            record = {field: _cell(values[col][row], pd) for field, col in mapping.items()}
            for col in extra_columns:
                record[str(col)] = _cell(values[col][row], pd)
            yield row, record

    return _convert(records(), source="DataFrame", where=lambda i: f"row {i}", plural="rows")


def as_articles(data: object) -> list[Article]:
    """Articles from what a caller passed to the clusterer.

    Accepts a list or tuple of :class:`Article` objects and/or dicts, or a pandas DataFrame.
    A path is refused with a pointer to :func:`read_jsonl`; anything else is a ``TypeError``.
    """
    if isinstance(data, (str, os.PathLike)):
        raise TypeError(
            f"expected articles, got a {type(data).__name__} ({_short(data)}); to load a JSON "
            "Lines file call storycluster.io.read_jsonl(path) and pass the result"
        )
    if isinstance(data, (list, tuple)):
        return articles_from_records(data)
    # A DataFrame can only exist if pandas was imported already: never import it here.
    pandas = sys.modules.get("pandas")
    frame_type = getattr(pandas, "DataFrame", None)
    if isinstance(frame_type, type) and isinstance(data, frame_type):
        return articles_from_dataframe(data)
    if isinstance(data, (Article, Mapping)):
        raise TypeError(
            f"expected a list of articles, got a single {type(data).__name__}; wrap it in a list"
        )
    raise TypeError(
        "expected a list or tuple of Article objects or dicts, or a pandas DataFrame; "
        f"got {_kind(data)}"
    )


def _convert(
    items: Iterable[tuple[int, Any]],
    *,
    source: str,
    where: Callable[[int], str],
    plural: str,
) -> list[Article]:
    """Validate ``(position, record)`` pairs; raise one error listing every problem."""
    articles: list[Article] = []
    errors: list[RecordError] = []
    seen: dict[str, list[int]] = {}
    for position, item in items:
        record_id: str | None = None
        try:
            if isinstance(item, _RecordProblem):
                raise item
            if isinstance(item, Article):
                article = item
            elif isinstance(item, Mapping):
                record_id = _id_of(item)
                article = _to_article(item)
            else:
                expected = "a JSON object" if plural == "lines" else "a dict or an Article"
                raise _RecordProblem(f"expected {expected}, got {_kind(item)}")
            record_id = article.id
            articles.append(article)
        except _RecordProblem as problem:
            errors.extend(RecordError(position, record_id, m) for m in problem.messages)
        if record_id is not None:
            seen.setdefault(record_id, []).append(position)
    for record_id, positions in seen.items():
        if len(positions) > 1:
            listed = ", ".join(str(p) for p in positions)
            errors.append(
                RecordError(
                    positions[1], record_id, f"id: duplicate id {record_id!r} ({plural} {listed})"
                )
            )
    if errors:
        errors.sort(key=lambda error: error.position)
        raise ArticleValidationError(_message(errors, source, where), errors, source)
    return articles


def _to_article(record: Mapping[Any, Any]) -> Article:
    fields: dict[str, Any] = {}
    sources: list[tuple[str, Mapping[Any, Any]]] = []
    extras: dict[str, Any] = {}
    problems: list[str] = []
    for key, value in record.items():
        if key == "metadata" or key == _META:
            if value is None:
                continue
            if not isinstance(value, Mapping):
                problems.append(f"{key}: must be an object (dict), got {_kind(value)}")
                continue
            sources.append((key, value))
        elif key in _FIELDS:
            fields[key] = value
        else:
            extras[str(key)] = value
    sources.sort(key=lambda pair: pair[0] != "metadata")  # metadata, then meta
    sources.append(("top-level field", extras))
    metadata: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for label, part in sources:
        for key, value in part.items():
            name = str(key)
            if name in metadata and not _same(metadata[name], value):
                problems.append(
                    f"metadata: key {name!r} given twice with different values "
                    f"(in {origin[name]} and {label})"
                )
                continue
            metadata[name] = value
            origin.setdefault(name, label)
    try:
        article = Article.model_validate({**fields, "metadata": metadata})
    except ValidationError as exc:
        problems.extend(_describe(exc))
        raise _RecordProblem(*problems) from None
    if problems:
        raise _RecordProblem(*problems)
    return article


def _describe(exc: ValidationError) -> list[str]:
    """One ``"field: reason"`` string per pydantic error."""
    messages = []
    for error in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in error["loc"]) or "title/text"
        reason = error["msg"].removeprefix("Value error, ")
        if error["type"] not in ("value_error", "missing") and "input" in error:
            reason += f" (got {_kind(error['input'])} {_short(error['input'])})"
        messages.append(f"{loc}: {reason}")
    return messages


def _message(errors: list[RecordError], source: str, where: Callable[[int], str]) -> str:
    def line(error: RecordError) -> str:
        about = f" (id {error.id!r})" if error.id is not None else ""
        return f"{where(error.position)}{about}: {error.message}"

    if len(errors) == 1:
        return f"{source} {line(errors[0])}"
    listed = [f"  {line(error)}" for error in errors[:_MAX_LISTED]]
    if len(errors) > _MAX_LISTED:
        listed.append(f"  ... and {len(errors) - _MAX_LISTED} more (all in .errors)")
    header = f"{len(errors)} problems in {source}; fix them all, then load again:"
    return "\n".join([header, *listed])


def _same(first: Any, second: Any) -> bool:
    try:
        return bool(first == second)
    except Exception:  # e.g. numpy arrays, whose == is elementwise
        return first is second


def _id_of(record: Mapping[Any, Any]) -> str | None:
    value = record.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value else None


def _cell(value: Any, pd: Any) -> Any:
    """A DataFrame cell as a plain Python value; missing values become ``None``."""
    if value is None:
        return None
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp):
        if value.nanosecond:
            value = value.floor("us")
        return value.to_pydatetime()
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays
    if callable(tolist) and not isinstance(value, (str, bytes)):
        return tolist()
    return value


# --------------------------------------------------------------------------------------------
# Writing


def write_assignments_jsonl(
    result: ClusteringResult, articles: Sequence[Article], path: str | os.PathLike[str]
) -> None:
    """Write one JSON line per article, in input order, with the event it belongs to.

    Each line holds the article (``id``, ``title``, ``text``, ``source``, ``url``,
    ``published_at`` as ISO 8601, ``language``, ``metadata``) and its assignment: ``story_id``
    (the :class:`StoryCluster` id), ``story_label`` (its index in ``result.clusters``),
    ``similarity``, ``is_representative`` and ``duplicate_of``. ``articles`` must be the
    articles the result was computed from, in the same order. The file is replaced atomically.
    """
    _check_aligned(result, articles)
    members = [{m.article_id: m for m in cluster.members} for cluster in result.clusters]

    def lines() -> Iterator[str]:
        for article, label in zip(articles, result.labels, strict=True):
            if not 0 <= label < len(result.clusters):
                raise ValueError(
                    f"result label {label} for article {article.id!r} is out of range "
                    f"(the result has {len(result.clusters)} events)"
                )
            cluster = result.clusters[label]
            member = members[label].get(article.id)
            if member is None:
                raise ValueError(
                    f"inconsistent result: article {article.id!r} is assigned to event "
                    f"{cluster.id!r} but is not one of its members"
                )
            row = {
                "id": article.id,
                "title": article.title,
                "text": article.text,
                "source": article.source,
                "url": article.url,
                "published_at": _iso(article.published_at),
                "language": article.language,
                "metadata": article.metadata,
                "story_id": cluster.id,
                "story_label": label,
                "similarity": member.similarity,
                "is_representative": member.is_representative,
                "duplicate_of": member.duplicate_of,
            }
            yield _dumps(row, article.id)

    _write_lines_atomic(path, lines())


def write_clusters_jsonl(clusters: Iterable[StoryCluster], path: str | os.PathLike[str]) -> None:
    """Write one event per line (``StoryCluster.model_dump(mode="json")``), atomically.

    ``clusters`` may be a :class:`ClusteringResult`, which iterates over its events.
    """

    def lines() -> Iterator[str]:
        for index, cluster in enumerate(clusters):
            if not isinstance(cluster, StoryCluster):
                raise TypeError(f"item {index} is {_kind(cluster)}, not a StoryCluster")
            yield _dumps(cluster.model_dump(mode="json"), cluster.id)

    _write_lines_atomic(path, lines())


def result_to_dataframe(
    result: ClusteringResult, articles: Sequence[Article] | None = None
) -> pd.DataFrame:
    """One row per article, in input order, with its event.

    Columns: ``article_id``, ``story_id``, ``story_label``, ``similarity``,
    ``is_representative``, ``duplicate_of``; with ``articles`` (the inputs, in the same order)
    also ``title``, ``source``, ``url`` and ``published_at`` (UTC timestamps).
    """
    pd = _require_pandas("result_to_dataframe")
    if articles is not None:
        _check_aligned(result, articles)
    members = {m.article_id: m for cluster in result.clusters for m in cluster.members}
    rows = []
    for article_id, label in zip(result.article_ids, result.labels, strict=True):
        member = members.get(article_id)
        rows.append(
            {
                "article_id": article_id,
                "story_id": result.clusters[label].id,
                "story_label": label,
                "similarity": None if member is None else member.similarity,
                "is_representative": False if member is None else member.is_representative,
                "duplicate_of": None if member is None else member.duplicate_of,
            }
        )
    columns = [
        "article_id",
        "story_id",
        "story_label",
        "similarity",
        "is_representative",
        "duplicate_of",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame["similarity"] = frame["similarity"].astype("float64")
    if articles is not None:
        frame["title"] = [a.title for a in articles]
        frame["source"] = [a.source for a in articles]
        frame["url"] = [a.url for a in articles]
        frame["published_at"] = _timestamps(pd, [a.published_at for a in articles])
    return frame


def clusters_to_dataframe(clusters: Iterable[StoryCluster]) -> pd.DataFrame:
    """One row per event.

    Columns: ``story_id``, ``size``, ``label``, ``keywords`` (joined with ``", "``),
    ``first_published``, ``last_published`` (UTC timestamps), ``n_sources``,
    ``representative_id``, ``representative_title``. ``clusters`` may be a
    :class:`ClusteringResult`.
    """
    pd = _require_pandas("clusters_to_dataframe")
    clusters = list(clusters)
    frame = pd.DataFrame(
        {
            "story_id": [c.id for c in clusters],
            "size": pd.Series([c.size for c in clusters], dtype="int64"),
            "label": [c.label for c in clusters],
            "keywords": [", ".join(c.keywords) for c in clusters],
            "first_published": _timestamps(pd, [c.first_published for c in clusters]),
            "last_published": _timestamps(pd, [c.last_published for c in clusters]),
            "n_sources": pd.Series([len(set(c.sources)) for c in clusters], dtype="int64"),
            "representative_id": [c.representative.id for c in clusters],
            "representative_title": [c.representative.title for c in clusters],
        }
    )
    return frame


def _check_aligned(result: ClusteringResult, articles: Sequence[Article]) -> None:
    if len(articles) != len(result.article_ids):
        raise ValueError(
            f"got {len(articles)} articles for a result over {len(result.article_ids)}; pass "
            "the articles the result was computed from, in the same order"
        )
    for index, (article, expected) in enumerate(zip(articles, result.article_ids, strict=True)):
        if not isinstance(article, Article):
            raise TypeError(f"articles[{index}] is {_kind(article)}, not an Article")
        if article.id != expected:
            raise ValueError(
                f"articles[{index}] has id {article.id!r} but the result has {expected!r} "
                "there; pass the articles the result was computed from, in the same order"
            )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dumps(row: Mapping[str, Any], record_id: str) -> str:
    try:
        return json.dumps(_jsonable(row), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, PydanticSerializationError) as exc:
        raise TypeError(f"cannot write {record_id!r} as JSON: {exc}") from exc


def _jsonable(value: Any) -> Any:
    """``value`` as plain JSON types; non-finite floats become ``None``."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(item) for item in value]
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return _jsonable(value.model_dump(mode="json"))
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays, pandas Series
    if callable(tolist):
        return _jsonable(tolist())
    return to_jsonable_python(value)


def _write_lines_atomic(path: str | os.PathLike[str], lines: Iterable[str]) -> None:
    """Write ``lines`` to a temporary file beside ``path``, then rename it over ``path``.

    The temporary file is created with the usual permissions (0o666 less the umask), or with
    those of the file it replaces; on any error it is removed and ``path`` is left as it was.
    """
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(temporary, flags, 0o666)
    try:
        with open(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            for line in lines:
                handle.write(line)
                handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


# --------------------------------------------------------------------------------------------
# Helpers


def _require_pandas(function: str) -> Any:
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError(f'{function}() needs pandas: pip install "storycluster[pandas]"') from exc
    return pd


def _timestamps(pd: Any, values: list[datetime | None]) -> Any:
    """Timezone-aware datetimes as a UTC datetime column (``NaT`` for ``None``)."""
    try:
        return pd.to_datetime(pd.Series(values, dtype="object"), utc=True)
    except (ValueError, OverflowError):  # outside the range pandas can hold
        return pd.Series(values, dtype="object")


def _kind(value: object) -> str:
    return "None" if value is None else type(value).__name__


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_QUOTED else text[: _MAX_QUOTED - 3] + "..."


def _quote_list(values: Iterable[object]) -> str:
    items = [repr(v) for v in values]
    if len(items) > 30:
        items = [*items[:30], f"... ({len(items) - 30} more)"]
    return "[" + ", ".join(items) + "]"
