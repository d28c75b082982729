"""The README's Python examples run as written, with the real model on the shipped sample.

The quickstart, the save/load/predict block and the streaming block are executed in order in one
namespace, as a reader would paste them; only the inputs the README leaves to the reader
(``new_articles``, ``batch``, ``archive``) are defined first. The engine blocks (Spark, Ray) need
a cluster and are covered by their own tests.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    """The README's fenced ``python`` blocks, in order."""
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_the_examples_this_test_runs() -> None:
    blocks = python_blocks()
    assert blocks[0].startswith("import storycluster as sc")
    assert blocks[1].startswith('model.save("model/")')
    assert blocks[2].startswith('stream = sc.StreamClusterer(store="events.db")')


@pytest.mark.slow
def test_readme_examples_run_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import storycluster as sc

    monkeypatch.chdir(tmp_path)
    quickstart, persistence, streaming = python_blocks()[:3]
    namespace: dict[str, object] = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(quickstart, "README quickstart", "exec"), namespace)
        articles = namespace["articles"]
        assert isinstance(articles, list)
        namespace["new_articles"] = articles[:3]
        exec(compile(persistence, "README save/load", "exec"), namespace)
        namespace["batch"] = articles[:40]
        namespace["archive"] = articles
        exec(compile(streaming, "README streaming", "exec"), namespace)

    model = namespace["model"]
    assert isinstance(model, sc.StoryClusterer)
    lines = printed.getvalue().splitlines()
    # Five events, each with its members, then three stories.
    assert sum(1 for line in lines if line.startswith("    ")) >= 5
    assert any(line.startswith(model.events_[0].id) for line in lines)
    assert (tmp_path / "model" / "manifest.json").is_file()
    assert (tmp_path / "events.db").is_file()
    gold = [a.metadata["event_id"] for a in articles]
    assert sc.evaluate(model.labels_, gold).bcubed_f1 > 0.95
    # The stream block ran on the first 40 articles and forgot the last of them.
    stream = sc.StreamClusterer.open(str(tmp_path / "events.db"))
    try:
        assert stream.event_of(articles[0].id) == namespace["event_id"]
        with pytest.raises(KeyError):
            stream.event_of(articles[39].id)
    finally:
        stream.close()
