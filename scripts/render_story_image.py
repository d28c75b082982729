"""Render the README's picture of the two levels: one story of the bundled sample and its events.

Clusters ``data/sample/articles.jsonl`` with the default model and writes to ``docs/img/``:

* ``story.png``: :func:`storycluster.viz.plots.story_timeline` of the sample's story with the
  most dated events (ties: the longest span), above a list of its events, each with its size
  and first article titles;
* ``story_html.html``: :func:`storycluster.viz.html.story_html` of the same story.

Usage: ``HF_HUB_OFFLINE=1 .venv/bin/python scripts/render_story_image.py [--out docs/img]``
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import matplotlib

matplotlib.use("Agg")  # a script that only writes files: no window

import matplotlib.pyplot as plt

import storycluster as sc
from storycluster.viz.html import story_html
from storycluster.viz.plots import story_timeline

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample" / "articles.jsonl"


def _pick(model: sc.StoryClusterer) -> sc.Story:
    by_id = {event.id: event for event in model.events_}

    def key(story: sc.Story) -> tuple[int, int, int]:
        dated = sum(1 for e in story.events if by_id[e].first_published is not None)
        return (dated, dated - story.n_events, story.size)

    return max(model.stories_, key=key)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "docs" / "img"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    articles = sc.read_jsonl(SAMPLE)
    model = sc.StoryClusterer(show_progress_bar=False).fit(articles)
    story = _pick(model)
    by_id = {event.id: event for event in model.events_}
    events = [by_id[e] for e in story.events]

    lines = []
    for number, event in enumerate(events, 1):
        when = event.first_published.date().isoformat() if event.first_published else "undated"
        lines.append(f"event {number}: {event.size} articles, {when}")
        for member in event.members[:2]:
            title = textwrap.shorten(member.title or member.article_id, 95, placeholder="…")
            lines.append(f"    {title}")
    fig = plt.figure(figsize=(10, 2.6 + 0.17 * len(lines)), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.4, 0.17 * len(lines)])
    story_timeline(model.result_, story, ax=top.subplots())
    top.axes[0].title.set_fontsize(11)
    text_ax = bottom.subplots()
    text_ax.set_axis_off()
    text_ax.text(
        0.0,
        1.0,
        "\n".join(lines).replace("$", r"\$"),
        va="top",
        ha="left",
        family="monospace",
        fontsize=8.5,
        transform=text_ax.transAxes,
    )
    fig.savefig(out / "story.png", dpi=110)
    plt.close(fig)
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>storycluster: a story and its events</title></head>"
        f'<body style="margin:16px;background:#ffffff">\n{story_html(story, model.result_)}\n'
        "</body></html>\n"
    )
    (out / "story_html.html").write_text(page, encoding="utf-8")
    print(f"story {story.id}: {story.n_events} events, {story.size} articles -> {out}/story.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
