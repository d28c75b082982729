"""Render the images used in the docs from the bundled sample.

Clusters ``data/sample/articles.jsonl`` with the default model and writes to ``docs/img/``:

* ``timeline.png``, ``sizes.png``, ``map.png``: the three plots of :mod:`storycluster.viz.plots`;
* ``cluster_html.html``: :func:`storycluster.viz.html.result_html` and the largest event's
  :func:`storycluster.viz.html.event_html`, as one page;
* ``cluster_html.png``: a headless Chromium screenshot of that page, when ``/usr/bin/chromium``
  (or ``$CHROMIUM``) exists;
* ``document_map.png``, ``events_over_time.png``, ``event_hierarchy.png``: the Plotly views of
  :mod:`storycluster.viz.interactive`, as static PNGs. Plotly's own ``write_image`` needs
  Kaleido 1 and a Chrome; without them the script uses Kaleido 0.2.1 (``pip install
  kaleido==0.2.1``, which bundles its own headless browser) with the plotly.js that ships
  with plotly; with neither, the PNGs are skipped.

Usage: ``HF_HUB_OFFLINE=1 .venv/bin/python scripts/render_docs_images.py [--out docs/img]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import matplotlib

matplotlib.use("Agg")  # a script that only writes files: no window

import matplotlib.pyplot as plt

import storycluster as sc
from storycluster.viz.html import event_html, result_html
from storycluster.viz.interactive import document_map, event_hierarchy, events_over_time
from storycluster.viz.plots import article_map, size_distribution, timeline

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample" / "articles.jsonl"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def _page(body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>storycluster: events in the sample</title></head>"
        '<body style="margin:16px;background:#ffffff">\n'
        f"{body}\n</body></html>\n"
    )


def _screenshot(html_path: Path, png_path: Path) -> bool:
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not (Path(chromium).is_file() or shutil.which(chromium)):
        print(f"no Chromium at {chromium}: skipping {png_path.name}", file=sys.stderr)
        return False
    with tempfile.TemporaryDirectory(prefix="sc-chromium-") as profile:
        command = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={png_path}",
            "--window-size=1200,900",
            html_path.resolve().as_uri(),
        ]
        completed = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if completed.returncode != 0 or not png_path.is_file():
        print(f"Chromium failed ({completed.returncode}):\n{completed.stderr}", file=sys.stderr)
        return False
    return True


def _plotly_png(figure: object, path: Path, *, width: int, height: int) -> bool:
    """Write a Plotly figure as PNG: Kaleido 1 if it works here, else Kaleido 0.2.1."""
    try:
        figure.write_image(path, width=width, height=height)  # type: ignore[attr-defined]
        return True
    except Exception as exc:  # Kaleido 1 missing, or no Chrome for it
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    try:
        import plotly
        from kaleido.scopes.plotly import PlotlyScope
    except ImportError:
        print(f"skipping {path.name}: {reason}; or pip install kaleido==0.2.1", file=sys.stderr)
        return False
    # Kaleido 0.2.1's bundled plotly.js is too old for the figures of plotly 6+: use plotly's.
    scope = PlotlyScope(plotlyjs=str(Path(plotly.__file__).parent / "package_data/plotly.min.js"))
    spec = json.loads(figure.to_json())  # type: ignore[attr-defined]
    path.write_bytes(scope.transform(spec, format="png", width=width, height=height))
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "img")
    parser.add_argument("--data", type=Path, default=SAMPLE)
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    articles = sc.read_jsonl(args.data)
    model = sc.StoryClusterer(show_progress_bar=False).fit(articles)
    result = model.result_
    print(repr(result))

    figures = {
        "timeline.png": timeline(result, top=20),
        "sizes.png": size_distribution(result),
        "map.png": article_map(model.embeddings_, result, method="pca", top=12),
    }
    for name, figure in figures.items():
        figure.savefig(out / name, dpi=110, facecolor="white")
        plt.close(figure)
        print(f"wrote {out / name}")

    views = {
        "document_map.png": (document_map(model, top=12), 1000, 600),
        "events_over_time.png": (events_over_time(model, top=8), 1000, 520),
        "event_hierarchy.png": (event_hierarchy(model), 1000, 600),
    }
    for name, (figure, width, height) in views.items():
        if _plotly_png(figure, out / name, width=width, height=height):
            print(f"wrote {out / name}")

    html_path = out / "cluster_html.html"
    # The card shows off best on an event with dates and sources; the sample has a few.
    shown = next((c for c in result.events if c.sources and c.size > 1), result.events[0])
    body = result_html(result, max_events=6) + "\n" + event_html(shown)
    html_path.write_text(_page(body), encoding="utf-8")
    print(f"wrote {html_path}")
    png_path = out / "cluster_html.png"
    if _screenshot(html_path, png_path):
        print(f"wrote {png_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
