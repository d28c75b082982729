"""The quickstart notebook runs top to bottom with the real model, in this environment's Python."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "quickstart.ipynb"


@pytest.mark.slow
def test_quickstart_notebook_executes() -> None:
    nbformat = pytest.importorskip(
        "nbformat", reason='notebook test needs nbformat: pip install "storycluster[notebook]"'
    )
    nbclient = pytest.importorskip(
        "nbclient", reason='notebook test needs nbclient: pip install "storycluster[notebook]"'
    )
    pytest.importorskip(
        "ipykernel", reason='notebook test needs ipykernel: pip install "storycluster[notebook]"'
    )
    pytest.importorskip("matplotlib", reason='the notebook plots: pip install "storycluster[plot]"')
    pytest.importorskip("pandas", reason='the notebook uses DataFrames: "storycluster[pandas]"')
    pytest.importorskip("plotly", reason='the notebook draws Plotly views: "storycluster[plotly]"')

    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert any(
        cell.cell_type == "markdown" and "Streaming: save and reload a stream state" in cell.source
        for cell in nb.cells
    ), "the streaming placeholder section is missing"
    # The kernel must be this environment's Python (jupyter_client runs a kernelspec whose
    # argv[0] is "python" with sys.executable); checked by a cell added to the in-memory copy.
    nb.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.prefix)"))
    client = nbclient.NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error

    outputs = [output for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    kernel_prefix = nb.cells[-1].outputs[0]["text"].strip()
    assert Path(kernel_prefix).resolve() == Path(sys.prefix).resolve(), (
        f"notebook ran in {kernel_prefix}, not in this environment ({sys.prefix}); install a "
        "kernelspec here with: python -m ipykernel install --sys-prefix"
    )
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "95 articles" in printed
    assert "bcubed_f1" in printed
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "ClusteringResult:" in html and "storycluster-event" in html
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 4  # timeline, sizes, PCA map, t-SNE map
    plotly = [o for o in outputs if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(plotly) == 3  # document map, events over time, hierarchy
    # Search, save -> load -> predict and plain strings ran and printed their results.
    assert "held-out articles placed in their gold event's fitted event" in printed
    from storycluster._persist.model import FORMAT_VERSION

    assert f"storycluster.model version {FORMAT_VERSION} with" in printed
    assert "ClusteringResult(3 articles" in printed
    # A short str() of events and results: no article texts, one line per event.
    assert articles_text_not_in(printed)
    # Progress without warnings: no TqdmWarning (ipywidgets is there), no weight-loading bar
    # and no embedding bar for 95 texts.
    errors = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    assert "Warning" not in errors, errors
    assert "Loading weights" not in errors and "Batches" not in errors, errors


def articles_text_not_in(printed: str) -> bool:
    """No article body of the sample appears in what the notebook printed."""
    import storycluster as sc

    return not any(a.text and a.text[:200] in printed for a in sc.load_sample())
