"""Does cleaning bring the scraped seed reports closer together? Mean cosine before/after.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/seeds_cleaning.py

Embeds the five reports in ../shared/seeds the way StoryClusterer does (lead of the text, no
title), raw and cleaned, and prints each seed's mean cosine to the other four.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from storycluster import Article
from storycluster._features.embedding import SentenceTransformerEmbedder
from storycluster._text.cleaning import clean_text
from storycluster._text.fields import embedding_text

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"


def main() -> int:
    files = sorted(p for p in SEEDS.glob("*.txt"))
    if not files:
        print(f"no seeds in {SEEDS}", file=sys.stderr)
        return 1
    raw = [p.read_text(encoding="utf-8") for p in files]
    embedder = SentenceTransformerEmbedder(show_progress_bar=False)
    rows = {}
    for name, texts in (("raw", raw), ("cleaned", [clean_text(t) for t in raw])):
        lead = [embedding_text(Article(id=str(i), text=t), 400) for i, t in enumerate(texts)]
        vectors = embedder.encode(lead)
        sims = vectors @ vectors.T
        np.fill_diagonal(sims, np.nan)
        rows[name] = np.nanmean(sims, axis=1)
    print("| seed | mean cosine to the other four, raw | cleaned |")
    print("|---|---|---|")
    for i, path in enumerate(files):
        print(f"| {path.stem} | {rows['raw'][i]:.3f} | {rows['cleaned'][i]:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
