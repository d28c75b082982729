"""Tests for storycluster._text.dedup (near-duplicate wire copies)."""

from __future__ import annotations

import random

import numpy as np
import pytest

pytest.importorskip("datasketch")

from storycluster._text.dedup import (
    duplicate_groups,
    find_near_duplicates,
    minhash_signatures,
)

WIRE = (
    "Emergency crews worked through the night on Tuesday to reach villages cut off by "
    "the flooding, after days of heavy rain sent rivers over their banks across the "
    "northern province. Officials said at least twelve people had died and hundreds of "
    "families were moved to schools and sports halls that have been turned into shelters. "
    "The regional governor asked the national government for extra helicopters and said "
    "that the water was expected to keep rising until the weekend, when forecasters "
    "predict the rain will finally ease. Aid groups warned that clean drinking water was "
    "running short in several towns and that the risk of disease would grow as long as "
    "the streets stayed under water."
)

UNRELATED = [
    "The central bank left interest rates unchanged on Thursday, saying inflation was "
    "slowing more quickly than expected but that wage growth remained strong and it "
    "would watch the labour market closely before deciding on any cut next year.",
    "A new exhibition of early photography opened at the city museum this week, bringing "
    "together more than two hundred prints from private collections that have never been "
    "shown to the public, including portraits and street scenes from the 1850s.",
    "The home side scored twice in the last ten minutes to win the derby and move to the "
    "top of the table, while their rivals finished the match with ten men after a red "
    "card early in the second half for a dangerous tackle near the halfway line.",
]


def wire_copies() -> list[str]:
    return [
        WIRE,
        "LONDON (Wire) - " + WIRE,
        WIRE.replace("at least twelve people", "at least thirteen people"),
        WIRE + "\nReporting by Jane Doe; Editing by John Smith",
    ]


def test_wire_copies_point_to_first() -> None:
    texts = wire_copies()
    ids = ["a", "b", "c", "d"]
    assert find_near_duplicates(texts, ids) == [None, "a", "a", "a"]


def test_unrelated_texts_are_not_duplicates() -> None:
    ids = [f"u{i}" for i in range(len(UNRELATED) + 1)]
    assert find_near_duplicates([*UNRELATED, WIRE], ids) == [None] * len(ids)


def test_mixed_groups_and_duplicate_groups_helper() -> None:
    copies = wire_copies()
    texts = [UNRELATED[0], copies[0], UNRELATED[1], copies[1], UNRELATED[0] + "!", copies[2]]
    ids = ["x", "w1", "y", "w2", "x2", "w3"]
    dup_of = find_near_duplicates(texts, ids)
    assert dup_of == [None, None, None, "w1", "x", "w1"]
    assert duplicate_groups(dup_of, ids) == {"w1": ["w1", "w2", "w3"], "x": ["x", "x2"]}
    assert duplicate_groups([None, None], ["a", "b"]) == {}


def test_original_is_earliest_in_input_order() -> None:
    copies = wire_copies()
    ids = ["d", "c", "b", "a"]
    reordered = list(reversed(copies))
    assert find_near_duplicates(reordered, ids) == [None, "d", "d", "d"]


def test_no_chains_every_duplicate_points_to_an_original() -> None:
    rng = random.Random(7)
    words = WIRE.split()
    texts = [WIRE]
    for _ in range(30):
        w = list(words)
        w[rng.randrange(len(w))] = "changed"
        texts.append(" ".join(w))
    # A chain: each text drifts one more word away from the previous one.
    drift = list(words)
    for k in range(0, 60, 3):
        drift[k] = "drifted"
        texts.append(" ".join(drift))
    ids = [str(i) for i in range(len(texts))]
    dup_of = find_near_duplicates(texts, ids)
    originals = {ids[i] for i, d in enumerate(dup_of) if d is None}
    assert all(d is None or d in originals for d in dup_of)
    assert dup_of[:31] == [None] + ["0"] * 30
    assert len(originals) > 1  # the far end of the drift is not glued to text 0


def test_deterministic() -> None:
    rng = random.Random(3)
    vocab = [f"w{i}" for i in range(300)]
    base = [" ".join(rng.choices(vocab, k=40)) for _ in range(200)]
    texts = base + [b + " extra tail words" for b in base[:100]]
    ids = [str(i) for i in range(len(texts))]
    first = find_near_duplicates(texts, ids)
    assert first == find_near_duplicates(texts, ids)
    assert first == find_near_duplicates(list(texts), list(ids), seed=1)
    assert first[200:] == [str(i) for i in range(100)]


def test_empty_and_short_texts() -> None:
    texts = ["", "   ", "!!!", "Quake hits city", "quake HITS city.", "Quake hits town", ""]
    ids = ["e1", "e2", "e3", "s1", "s2", "s3", "e4"]
    # Empty -> None; short texts only match exact normalised copies.
    assert find_near_duplicates(texts, ids) == [None, None, None, None, "s1", None, None]
    assert find_near_duplicates([], []) == []


def test_exact_copies_of_a_duplicate_point_to_the_original() -> None:
    copies = wire_copies()
    texts = [copies[0], copies[1], copies[1].upper()]
    assert find_near_duplicates(texts, ["a", "b", "c"]) == [None, "a", "a"]


def test_threshold_is_respected() -> None:
    half = " ".join(WIRE.split()[:50])
    other_half = half + " " + " ".join(UNRELATED[0].split()[:50])
    assert find_near_duplicates([half, other_half], ["a", "b"]) == [None, None]
    assert find_near_duplicates([half, other_half], ["a", "b"], threshold=0.3) == [None, "a"]


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="length"):
        find_near_duplicates(["a"], ["1", "2"])
    with pytest.raises(ValueError, match="unique"):
        find_near_duplicates(["a", "b"], ["1", "1"])
    with pytest.raises(ValueError, match="threshold"):
        find_near_duplicates(["a"], ["1"], threshold=0.0)
    with pytest.raises(ValueError, match="length"):
        duplicate_groups([None], ["a", "b"])


def test_signatures_match_datasketch_minhash() -> None:
    from datasketch import MinHash

    try:
        template = MinHash(num_perm=64, seed=5, scheme="legacy", hashfunc=lambda h: h)
    except TypeError:  # datasketch < 2.0
        template = MinHash(num_perm=64, seed=5, hashfunc=lambda h: h)
    a, b = (np.asarray(x, dtype=np.uint64) for x in template.permutations)
    rng = np.random.default_rng(0)
    sets = [rng.integers(0, 2**32, size=n, dtype=np.uint64) for n in (1, 7, 50, 3)]
    flat = np.concatenate(sets)
    starts = np.cumsum([0] + [len(s) for s in sets[:-1]])
    sigs = minhash_signatures(flat, starts, a, b)
    for row, values in zip(sigs, sets, strict=True):
        m = template.copy()
        m.update_batch([int(v) for v in values])
        assert np.array_equal(row, np.asarray(m.hashvalues, dtype=np.uint64))


def test_many_texts_complete() -> None:
    rng = random.Random(11)
    vocab = [f"word{i}" for i in range(3000)]
    base = [" ".join(rng.choices(vocab, k=rng.randint(8, 60))) for _ in range(4000)]
    texts = base + [f"DATELINE - {b}" for b in base[:1000]]
    ids = [f"id{i}" for i in range(len(texts))]
    dup_of = find_near_duplicates(texts, ids)
    assert len(dup_of) == 5000
    assert all(d is None for d in dup_of[:4000])


def test_signatures_across_blocks_match_datasketch_minhash() -> None:
    """Texts longer than a block, shorter than one and across block ends (64 permutations:
    1024 rows a block)."""
    from datasketch import MinHash

    try:
        template = MinHash(num_perm=64, seed=3, scheme="legacy", hashfunc=lambda h: h)
    except TypeError:  # datasketch < 2.0
        template = MinHash(num_perm=64, seed=3, hashfunc=lambda h: h)
    a, b = (np.asarray(x, dtype=np.uint64) for x in template.permutations)
    rng = np.random.default_rng(1)
    sizes = (1, 2500, 3, 1021, 1024, 1, 1025, 700, 700, 2, 4000)
    sets = [rng.integers(0, 2**32, size=n, dtype=np.uint64) for n in sizes]
    starts = np.cumsum([0] + [len(s) for s in sets[:-1]])
    sigs = minhash_signatures(np.concatenate(sets), starts, a, b)
    for row, values in zip(sigs, sets, strict=True):
        m = template.copy()
        m.update_batch([int(v) for v in values])
        assert np.array_equal(row, np.asarray(m.hashvalues, dtype=np.uint64))


def test_signatures_reduce_modulo_the_prime_exactly() -> None:
    """Values whose folded remainder reaches the prime (about one in 2**58 with real
    permutations) are reduced once more, as ``%`` would."""
    p, top = (1 << 61) - 1, (1 << 64) - 1
    a = np.array([1, 1, 1, 3], dtype=np.uint64)
    b = np.array([p, (1 << 62) + p - 3, top, top - 7], dtype=np.uint64)
    hashes = np.array([0, 1, 2, 3, 5, 8, 13, 2**32 - 1], dtype=np.uint64)
    starts = np.array([0, 2, 5])
    sigs = minhash_signatures(hashes, starts, a, b)
    ends = [2, 5, 8]
    for d, (lo, hi) in enumerate(zip(starts.tolist(), ends, strict=True)):
        for k in range(len(a)):
            values = [((int(a[k]) * int(h) + int(b[k])) & top) % p for h in hashes[lo:hi]]
            assert int(sigs[d, k]) == min(v & 0xFFFFFFFF for v in values)


def test_signatures_need_an_element_per_text() -> None:
    a = b = np.ones(4, dtype=np.uint64)
    with pytest.raises(ValueError, match="at least one element"):
        minhash_signatures(np.arange(3, dtype=np.uint64), np.array([0, 2, 2]), a, b)
