"""Hypothesis strategies for the adversarial suite: corpora of events with near-copies, hostile
texts and ids, dates, and embeddings of every scale.

Example counts stay modest (the suite runs on two shared cores) and examples are derandomised,
so a run is reproducible; ``HYPOTHESIS_PROFILE=thorough`` runs many more.
"""

from __future__ import annotations

import os
import string
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile(
    "storycluster",
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough", max_examples=500, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "storycluster"))

# Topics whose articles share words (so events form) and a pool of filler words.
_TOPICS = [
    "earthquake nepal kathmandu magnitude rubble rescue everest avalanche",
    "yankees teixeira contract baseball angels redsox signing million",
    "apple iphone cupertino camera chip launch price event",
    "wildfire paradise california butte evacuation calfire homes blaze",
    "bank rates inflation policymakers markets point hike economy",
    "election ballots turnout candidate polls county recount vote",
]
_FILLER = ["the", "a", "of", "in", "on", "and", "after", "said", "with", "as", "by", "for"]

#: Characters that have broken text pipelines: lone surrogates, NUL, BOM, zero-width and
#: direction marks, combining marks, emoji, CJK, a replacement character, line separators.
ODD_CHARS = [
    "\ud800", "\udfff", "\x00", "\ufeff", "\u200b", "\u200d", "\u202e", "\u0301", "\U0001f600",
    "\u4e2d", "\ufffd", "\u2028", "\r", "\t", "\x1f", "\u00a0", "\U0010ffff",
]  # fmt: skip

ids = st.one_of(
    st.text(string.ascii_letters + string.digits + "-_/.:", min_size=1, max_size=12),
    st.integers(min_value=-(10**12), max_value=10**12),
)

odd_text = st.text(
    alphabet=st.one_of(st.sampled_from(ODD_CHARS), st.characters(codec="utf-8")),
    min_size=1,
    max_size=40,
)

aware_dates = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2025, 12, 31),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))]
    ),
)


@st.composite
def corpora(draw: Any, min_size: int = 2, max_size: int = 14) -> list[dict[str, Any]]:
    """Records of a few events: topic words, some exact or near copies on the same date (the
    case whose representative once depended on input order), some undated articles."""
    n = draw(st.integers(min_size, max_size))
    records: list[dict[str, Any]] = []
    days = draw(st.lists(st.integers(0, 3), min_size=len(_TOPICS), max_size=len(_TOPICS)))
    for i in range(n):
        topic = draw(st.integers(0, len(_TOPICS) - 1))
        if records and draw(st.integers(0, 3)) == 0:
            # A wire copy of an earlier article, same date, maybe one word changed.
            original = records[draw(st.integers(0, len(records) - 1))]
            words = original["text"].split()
            if draw(st.booleans()):
                words[draw(st.integers(0, len(words) - 1))] = draw(st.sampled_from(_FILLER))
            record = {**original, "text": " ".join(words)}
        else:
            vocabulary = _TOPICS[topic].split()
            words = draw(st.lists(st.sampled_from(vocabulary + _FILLER), min_size=12, max_size=30))
            title = " ".join(draw(st.lists(st.sampled_from(vocabulary), min_size=2, max_size=6)))
            record = {"title": title.capitalize(), "text": " ".join(words)}
            if draw(st.integers(0, 4)):
                day = datetime(2020, 3, 1, 12, tzinfo=UTC) + timedelta(
                    days=7 * topic + days[topic] + draw(st.integers(0, 1))
                )
                record["published_at"] = day.isoformat()
        record["id"] = f"a{i:02d}-{draw(st.integers(0, 999)):03d}"
        records.append(record)
    return records


def finite_rows(n: int, dim: int = 8) -> st.SearchStrategy[np.ndarray]:
    """``(n, dim)`` float64 arrays with no all-zero row, entries of moderate size."""
    row = st.lists(
        st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False), min_size=dim, max_size=dim
    ).filter(lambda values: max(abs(v) for v in values) > 1e-3)
    return st.lists(row, min_size=n, max_size=n).map(lambda rows: np.array(rows))


scales = st.sampled_from([1e-30, 1e-12, 1e-3, 1.0, 7.5, 1e6, 1e20, 1e30, 1e100, 1e300])
