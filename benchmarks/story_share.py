"""The share at which stories merge by their ties (``merge_by_neighbourhood``), per story set.

    HF_HUB_OFFLINE=1 STORYCLUSTER_CACHE=... .venv/bin/python benchmarks/story_share.py \\
        [--sets ecbplus,crisislex_t26,googlenews,sample] [--shares off,0.1,0.2,0.3,0.4,0.5]

Fits the default ``StoryClusterer`` on each set once per share (``off``: no merging, the
average-linkage stories alone) and prints the story-level B-cubed F1 and the number of stories
against the story gold: ecbplus ``meta.topic_id``, googlenews and crisislex_t26 ``event_id``
(the seeded 6,000 sample), the shipped sample ``meta.topic_id``. Exploration only: the share is
set through ``storycluster.batch.DEFAULT_STORY_SHARE`` for the run; the default lives in
:mod:`storycluster._grouping.stories`.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import storycluster as sc
import storycluster.batch as batch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from story_grid import load


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="ecbplus,crisislex_t26,googlenews,sample")
    parser.add_argument("--shares", default="off,0.1,0.2,0.3,0.4,0.5")
    args = parser.parse_args()
    sets = {}
    for name in args.sets.split(","):
        if name == "sample":
            articles = sc.load_sample()
            sets[name] = (articles, [str(a.metadata["topic_id"]) for a in articles])
        else:
            articles, _, stories = load(name)
            sets[name] = (articles, stories)
    print("| share | " + " | ".join(sets) + " |")
    print("|---|" + "---|" * len(sets))
    default = batch.DEFAULT_STORY_SHARE
    try:
        for value in args.shares.split(","):
            batch.DEFAULT_STORY_SHARE = math.inf if value == "off" else float(value)
            cells = []
            for articles, gold in sets.values():
                model = sc.StoryClusterer(show_progress_bar=False).fit(articles)
                f1 = sc.evaluate(model.story_labels_, gold).bcubed_f1
                cells.append(f"{f1:.3f} ({len(model.stories_)})")
            mark = " (default)" if value != "off" and float(value) == default else ""
            print(f"| {value}{mark} | " + " | ".join(cells) + " |", flush=True)
    finally:
        batch.DEFAULT_STORY_SHARE = default
    return 0


if __name__ == "__main__":
    sys.exit(main())
