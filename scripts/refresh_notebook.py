"""Execute notebooks/quickstart.ipynb in place and keep its outputs small (no images, no Plotly
figures, no stderr).

HF_HUB_OFFLINE=1 .venv/bin/python scripts/refresh_notebook.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "quickstart.ipynb"


def main() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    ).execute()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            if output.get("name") == "stderr":
                continue
            data = output.get("data")
            if data is not None:
                # Images, and Plotly figures (their HTML carries plotly.js, megabytes).
                plotly = "application/vnd.plotly.v1+json" in data
                for key in [k for k in data if k.startswith("image/") or plotly]:
                    del data[key]
                if not data:
                    continue
            kept.append(output)
        cell.outputs = kept
    nbformat.write(nb, NOTEBOOK)


if __name__ == "__main__":
    main()
