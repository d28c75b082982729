"""Read articles in and write events out: JSON Lines, plain records and pandas DataFrames.

Input
    :func:`read_jsonl` reads one JSON object per line, in the schema of the bundled data sets
    (``id``, ``title``, ``text``, ``source``, ``url``, ``published_at``, ``language`` and
    anything else). :func:`articles_from_records` does the same for dicts already in memory and
    :func:`articles_from_dataframe` for a pandas DataFrame. :func:`as_articles` picks one of the
    last two for whatever a caller hands to the clusterer. :func:`load_sample` reads the demo
    sample shipped with the package (95 ECB+ articles, 12 events).

    The mapping is the same everywhere: fields of :class:`~storycluster.models.Article` map
    directly, a ``meta`` object is merged into ``metadata``, and every other field (e.g. a gold
    ``event_id``) is kept in ``metadata`` under its own name. A key given twice with different
    values (say in ``meta`` and at the top level) is an error rather than a silent overwrite.

    A field that looks like a misnamed Article field (``body`` or ``content`` for ``text``,
    ``headline`` for ``title``, ``date`` for ``published_at``) while that field is empty is
    named in an :class:`InputWarning` with the field it probably meant; no alias is mapped
    automatically (``date`` may be an event date, ``content`` HTML). ``strict=True`` makes
    every field that is not an Article field an error. A list of plain strings is read as
    texts with ids ``"0"``, ``"1"``, ... (their positions).

    Bad input raises :class:`ArticleValidationError`, a ``ValueError`` that lists every problem
    at once (the first 20 in its message, all of them in ``.errors``), each with its line number
    or index, the record's id and the offending field, so a file can be fixed in one pass.

Output
    :func:`write_assignments_jsonl` writes one line per input article with its event and story,
    :func:`write_events_jsonl` one line per event (with its ``story_id``),
    :func:`write_stories_jsonl` one line per story; both write to a temporary file next to
    the target and rename it into place, so a reader never sees half a file.
    :func:`result_to_dataframe`, :func:`events_to_dataframe` and
    :func:`stories_to_dataframe` build DataFrames. The 0.1
    names ``write_clusters_jsonl`` and ``clusters_to_dataframe`` still answer, with a
    ``DeprecationWarning``, until 0.3.

pandas is optional: it is imported only by the functions that need it
(``pip install "storycluster[pandas]"``).
"""

from .._compat import renamed
from ._fields import InputWarning
from ._frames import events_to_dataframe, result_to_dataframe, stories_to_dataframe
from ._readers import (
    ArticleValidationError,
    RecordError,
    articles_from_dataframe,
    articles_from_records,
    as_articles,
    read_jsonl,
)
from ._sample import load_sample
from ._writers import write_assignments_jsonl, write_events_jsonl, write_stories_jsonl

__all__ = [
    "ArticleValidationError",
    "InputWarning",
    "RecordError",
    "articles_from_dataframe",
    "articles_from_records",
    "as_articles",
    "events_to_dataframe",
    "load_sample",
    "read_jsonl",
    "result_to_dataframe",
    "stories_to_dataframe",
    "write_assignments_jsonl",
    "write_events_jsonl",
    "write_stories_jsonl",
]

__getattr__ = renamed(
    __name__,
    {"clusters_to_dataframe": "events_to_dataframe", "write_clusters_jsonl": "write_events_jsonl"},
)
