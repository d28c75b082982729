"""Read articles in: JSON Lines, plain records and pandas DataFrames, validated at one edge."""

from __future__ import annotations

import json
import math
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import ValidationError

from ..models import Article, normalize_id

if TYPE_CHECKING:
    import pandas as pd
from ._common import _kind, _quote_list, _require_pandas, _short
from ._fields import FIELDS, FieldCheck, InputWarning, probable_field

_MAX_LISTED = 20
_FIELDS = FIELDS
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


def read_jsonl(path: str | os.PathLike[str], *, strict: bool = False) -> list[Article]:
    """Read articles from a JSON Lines file, one object per line; blank lines are skipped.

    Raises :class:`ArticleValidationError` listing every invalid line (bad JSON, JSON nested
    too deeply, a key given twice in one object, bad UTF-8, invalid fields, duplicate ids),
    ``FileNotFoundError`` for a missing file and ``IsADirectoryError`` for a directory. An
    empty file gives an empty list. Fields that look like misnamed Article fields (``body``
    for ``text``) get an
    :class:`InputWarning`; with ``strict=True`` every field that is not an Article field (or
    ``meta``/``metadata``) is an error.
    """
    name = os.fspath(path)
    if os.path.isdir(name):
        raise IsADirectoryError(f"{name} is a directory, not a JSON Lines file")
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
                    yield number, json.loads(text, object_pairs_hook=_unique_keys)
                except _DuplicateKey as exc:
                    yield (
                        number,
                        _RecordProblem(
                            f"invalid JSON: key {exc.args[0]!r} appears twice in one object "
                            "(which value is meant is unclear)"
                        ),
                    )
                except json.JSONDecodeError as exc:
                    yield number, _RecordProblem(f"invalid JSON: {exc.msg} (column {exc.colno})")
                except RecursionError:
                    yield number, _RecordProblem("invalid JSON: nested too deeply to read")
                except ValueError as exc:  # e.g. an integer of more than 4300 digits
                    yield number, _RecordProblem(f"invalid JSON: {exc}")

    try:
        return _convert(
            records(), source=name, where=lambda n: f"line {n}", plural="lines", strict=strict
        )
    except ArticleValidationError as exc:
        if first_content is not None and first_content.startswith(b"["):
            hint = (
                "\n(the file looks like one JSON array, not JSON Lines: write one object per "
                "line, or json.load() it and pass the list to articles_from_records())"
            )
            raise ArticleValidationError(str(exc) + hint, exc.errors, exc.source) from None
        raise


class _DuplicateKey(ValueError):
    """A JSON object that gives one key twice."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` that refuses a key given twice (``json`` keeps the last)."""
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return found


def articles_from_records(
    records: Iterable[Mapping[str, Any] | Article | str], *, strict: bool = False
) -> list[Article]:
    """Turn dicts (or any mappings) into articles; :class:`Article` objects pass through as is.

    The mapping is that of :func:`read_jsonl`. A list of plain strings is read as article
    texts with generated ids: each one's 0-based position as a string (``"0"``, ``"1"``, ...).
    Raises :class:`ArticleValidationError` listing every invalid record by its 0-based index,
    including items that are neither a mapping nor an :class:`Article`, and duplicate ids;
    ``strict`` as in :func:`read_jsonl`.
    """
    if records is None or isinstance(records, (str, bytes, Mapping, Article)):
        what = "None" if records is None else f"one {type(records).__name__}"
        hint = "" if records is None else "; wrap a single record in a list"
        raise TypeError(
            "articles_from_records() takes a list of records (dicts or Articles) or of plain "
            f"strings, got {what}{hint}"
        )
    frame_type = _pandas_type("DataFrame")
    if frame_type is not None and isinstance(records, frame_type):
        raise TypeError("articles_from_records() got a DataFrame: use articles_from_dataframe()")
    if not isinstance(records, Iterable):
        raise TypeError(
            "articles_from_records() takes a list of records (dicts or Articles) or of plain "
            f"strings, got {_kind(records)}"
        )
    items = list(records)
    return _convert(
        _with_plain_strings(items, [str(i) for i in range(len(items))]),
        source="records",
        where=lambda i: f"record {i}",
        plural="records",
        strict=strict,
    )


def _with_plain_strings(items: list[Any], ids: Sequence[Any]) -> Iterator[tuple[int, Any]]:
    """``(position, item)`` pairs, a plain string made a record ``{"id": ids[i], "text": s}``.

    Items are read as plain texts when every one is a string (a missing one, ``None`` or
    ``NaN``, is reported as such); in a list of records a string is an error.
    """
    strings = sum(isinstance(item, str) for item in items)
    if not strings or strings + sum(_missing(item) for item in items) != len(items):
        for position, item in enumerate(items):
            if isinstance(item, str):
                item = _RecordProblem(
                    f"expected a dict or an Article, got str {_short(item)} (a list is read "
                    "as plain texts only when every item is a string)"
                )
            yield position, item
        return
    for position, item in enumerate(items):
        if isinstance(item, str):
            yield position, {"id": ids[position], "text": item}
        else:
            yield position, _RecordProblem("text: missing (a list of plain strings has a gap)")


def articles_from_dataframe(
    df: pd.DataFrame, *, columns: Mapping[str, str] | None = None, strict: bool = False
) -> list[Article]:
    """Turn the rows of a pandas DataFrame into articles.

    ``columns`` maps :class:`Article` field names to column names, e.g.
    ``{"id": "doc_id", "text": "body"}``; a field not mapped is read from the column of its own
    name when there is one. Other columns go to ``metadata`` (a ``meta`` column of dicts is
    merged into it). Missing cells (``None``, ``NaN``, ``NaT``, ``pd.NA``) become ``None`` and
    pandas/numpy values become plain Python ones; an id column of whole numbers that pandas
    holds as floats (because a cell is missing) is read as integers. Errors name the 0-based
    row position; ``strict`` and the :class:`InputWarning` for a misnamed column (``body``)
    as in :func:`read_jsonl`.
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
        likely = [c for c in available if probable_field(str(c)) == "id"]
        example = repr(str(likely[0])) if likely else "'<column>'"
        raise ValueError(
            "DataFrame has no 'id' column: say which column holds the article ids with "
            f"columns={{'id': {example}}} (its columns are {_quote_list(available)}); "
            "ids are needed to tell articles apart in the results"
        )
    field_of = {col: field for field, col in mapping.items()}
    values = {col: df[col].tolist() for col in available}
    values[mapping["id"]] = _whole_floats(values[mapping["id"]])
    extra_columns = [col for col in available if col not in field_of]

    def records() -> Iterator[tuple[int, dict[str, Any]]]:
        for row in range(len(df)):
            record = {field: _cell(values[col][row], pd) for field, col in mapping.items()}
            for col in extra_columns:
                record[str(col)] = _cell(values[col][row], pd)
            yield row, record

    return _convert(
        records(),
        source="DataFrame",
        where=lambda i: f"row {i}",
        plural="rows",
        strict=strict,
        frame=True,
    )


def _whole_floats(values: list[Any]) -> list[Any]:
    """An id column pandas turned to floats for a missing cell, back to integers."""
    floats = [v for v in values if isinstance(v, float) and not math.isnan(v)]
    if not floats or len(floats) + sum(_missing(v) for v in values) != len(values):
        return values
    if not all(v.is_integer() for v in floats):
        return values
    return [None if _missing(v) else int(v) for v in values]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _pandas_type(name: str) -> type | None:
    """``pandas.<name>`` if pandas is imported already (a pandas object can only exist then)."""
    found = getattr(sys.modules.get("pandas"), name, None)
    return found if isinstance(found, type) else None


def _articles_from_series(series: Any, strict: bool) -> list[Article]:
    """A Series of plain strings (ids: its index labels) or of records."""
    items = series.tolist()
    return _convert(
        _with_plain_strings(items, [_cell_id(label) for label in series.index.tolist()]),
        source="Series",
        where=lambda i: f"item {i}",
        plural="items",
        strict=strict,
    )


def _cell_id(label: Any) -> Any:
    tolist = getattr(label, "tolist", None)
    return tolist() if callable(tolist) and not isinstance(label, str) else label


def as_articles(data: object, *, strict: bool = False) -> list[Article]:
    """Articles from what a caller passed to the clusterer.

    Accepts a list or tuple (or an iterator, or a 1-D NumPy array) of :class:`Article`
    objects and/or dicts, a list of plain strings (texts; ids ``"0"``, ``"1"``, ... by
    position), a pandas DataFrame, or a pandas Series of strings (ids: the Series' index
    labels) or of dicts. A path is refused with a pointer to :func:`read_jsonl`, a set (it has
    no order) and anything else with a ``TypeError`` saying what is accepted.
    """
    if isinstance(data, (str, bytes, os.PathLike)):
        raise TypeError(
            f"expected articles, got a {type(data).__name__} ({_short(data)}); to load a JSON "
            "Lines file call storycluster.io.read_jsonl(path) and pass the result; to cluster "
            "plain texts pass a list of strings"
        )
    if isinstance(data, (list, tuple)):
        return articles_from_records(data, strict=strict)
    # A DataFrame can only exist if pandas was imported already: never import it here.
    frame_type, series_type = _pandas_type("DataFrame"), _pandas_type("Series")
    if frame_type is not None and isinstance(data, frame_type):
        return articles_from_dataframe(data, strict=strict)
    if series_type is not None and isinstance(data, series_type):
        return _articles_from_series(data, strict)
    if isinstance(data, (Article, Mapping)):
        raise TypeError(
            f"expected a list of articles, got a single {type(data).__name__}; wrap it in a list"
        )
    if isinstance(data, Iterator) or (
        type(data).__name__ == "ndarray" and getattr(data, "ndim", None) == 1
    ):
        return articles_from_records(list(data), strict=strict)  # type: ignore[call-overload]
    accepted = "a list of Article objects, dicts or plain strings, or a pandas DataFrame or Series"
    if isinstance(data, (set, frozenset)):
        raise TypeError(f"expected {accepted}; got a {type(data).__name__}, which has no order")
    raise TypeError(f"expected {accepted}; got {_kind(data)}")


def _convert(
    items: Iterable[tuple[int, Any]],
    *,
    source: str,
    where: Callable[[int], str],
    plural: str,
    strict: bool = False,
    frame: bool = False,
) -> list[Article]:
    """Validate ``(position, record)`` pairs; raise one error listing every problem."""
    articles: list[Article] = []
    errors: list[RecordError] = []
    seen: dict[str, list[int]] = {}
    check = FieldCheck()
    for position, item in items:
        record_id: str | None = None
        try:
            if isinstance(item, _RecordProblem):
                raise item
            if isinstance(item, Article):
                article = item
            elif isinstance(item, Mapping):
                record_id = _id_of(item)
                check.add(position, item)
                try:
                    article = _to_article(item)
                except _RecordProblem as problem:
                    hint = check.hint(item)
                    for k, message in enumerate(problem.messages):
                        if hint and message.startswith(("title/text:", "id:")):
                            problem.messages[k] = f"{message} ({hint})"
                    raise
            else:
                expected = "a JSON object" if plural == "lines" else "a dict or an Article"
                raise _RecordProblem(f"expected {expected}, got {_kind(item)}")
            record_id = article.id
            articles.append(article)
        except _RecordProblem as problem:
            errors.extend(RecordError(position, record_id, m) for m in problem.messages)
        if record_id is not None:
            seen.setdefault(record_id, []).append(position)
    if strict:
        errors.extend(RecordError(p, None, m) for p, m in check.strict_problems())
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
    warning = check.warning(where, frame=frame)
    if warning is not None:
        warnings.warn(warning, InputWarning, stacklevel=4)
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
    try:
        return normalize_id(record.get("id"))
    except ValueError:
        return None


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
