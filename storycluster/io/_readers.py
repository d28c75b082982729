"""Read articles in: JSON Lines, plain records and pandas DataFrames, validated at one edge."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import ValidationError

from ..models import Article

if TYPE_CHECKING:
    import pandas as pd
from ._common import _kind, _quote_list, _require_pandas, _short

_MAX_LISTED = 20
#: Longest input value quoted in an error message.
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
