"""Tests for the ``storycluster`` command line, with the fake embedder standing in for the model."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SAMPLE

from storycluster import cli
from storycluster.cli import build_parser, format_events
from storycluster.testing import HashingEmbedder


@pytest.fixture
def main(fake_embedder: HashingEmbedder) -> Callable[[list[str]], int]:
    """``storycluster.cli.main`` with the fake embedder, through the CLI's ``embedder`` seam."""

    def run(argv: list[str]) -> int:
        return cli.main(argv, embedder=fake_embedder)

    return run


def _jsonl(path) -> list[dict]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def _sample_ids() -> list[str]:
    return [json.loads(line)["id"] for line in SAMPLE.read_text(encoding="utf-8").splitlines()]


def test_cluster_writes_assignments_and_events(tmp_path, capsys, fake_embedder, main):
    out, events = tmp_path / "assign.jsonl", tmp_path / "events.jsonl"
    code = main(
        ["cluster", str(SAMPLE), "-o", str(out), "--events", str(events), "--quiet", "--top", "3"]
    )
    assert code == 0
    assert fake_embedder.calls >= 1
    stdout = capsys.readouterr().out
    assert f"{len(_sample_ids())} articles ->" in stdout
    assert "events (" in stdout
    rows = _jsonl(out)
    assert [row["id"] for row in rows] == _sample_ids()
    assert all(row["event_id"].startswith("ev_") for row in rows)
    clusters = _jsonl(events)
    assert sum(len(c.get("members", [])) or c["size"] for c in clusters) == len(rows)
    assert {row["event_id"] for row in rows} == {c["id"] for c in clusters}
    assert f"wrote one line per event (with its story_id) to {events}" in stdout


def test_cluster_writes_stories_beside_events(tmp_path, capsys, main):
    out, events, stories = tmp_path / "a.jsonl", tmp_path / "e.jsonl", tmp_path / "s.jsonl"
    args = ["cluster", str(SAMPLE), "-o", str(out), "--events", str(events)]
    assert main([*args, "--stories", str(stories), "--quiet"]) == 0
    stdout = capsys.readouterr().out
    assert "stories (" in stdout
    rows, event_rows, story_rows = _jsonl(out), _jsonl(events), _jsonl(stories)
    story_of_event = {e: s["id"] for s in story_rows for e in s["events"]}
    assert sorted(story_of_event) == sorted(e["id"] for e in event_rows)
    assert all(e["story_id"] == story_of_event[e["id"]] for e in event_rows)
    assert all(row["story_id"] == story_of_event[row["event_id"]] for row in rows)
    assert sum(s["size"] for s in story_rows) == len(rows)


def test_evaluate_scores_stories_too(capsys, main):
    assert main(["evaluate", str(SAMPLE), "--quiet", "--story-label-field", "topic_id"]) == 0
    stdout = capsys.readouterr().out
    assert "stories against 'topic_id'" in stdout


def test_cluster_options_reach_the_clusterer():
    args = ["cluster", str(SAMPLE), "--threshold", "5.5", "--no-clean", "--quiet"]
    model = cli._clusterer(build_parser().parse_args([*args, "--model", "some-model"]))
    assert model.get_params() == {
        **type(model)().get_params(),
        "clean": False,
        "threshold": 5.5,
        "show_progress_bar": False,
        "model": "some-model",
    }


def test_the_embedder_seam_replaces_the_named_model(tmp_path, fake_embedder):
    out = tmp_path / "assign.jsonl"
    argv = ["cluster", str(SAMPLE), "--model", "no-such-model", "-o", str(out), "--quiet"]
    assert cli.main(argv, embedder=fake_embedder) == 0
    assert fake_embedder.calls == 1 and out.is_file()


def test_evaluate_prints_scores(capsys, main):
    assert main(["evaluate", str(SAMPLE), "--quiet"]) == 0
    stdout = capsys.readouterr().out
    assert "bcubed_f1" in stdout
    assert "95 articles" in stdout


def test_evaluate_without_gold_labels(tmp_path, main):
    path = tmp_path / "unlabelled.jsonl"
    path.write_text('{"id": "a", "title": "x"}\n{"id": "b", "title": "y"}\n', encoding="utf-8")
    with pytest.raises(SystemExit, match="no 'event_id' label"):
        main(["evaluate", str(path)])


def test_bad_input_file_exits_2(tmp_path, capsys, main):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "title": "x"}\n{"id": "b", "title": \n', encoding="utf-8")
    assert main(["cluster", str(path)]) == 2
    captured = capsys.readouterr()
    assert "line 2" in captured.err
    assert "invalid JSON" in captured.err
    assert captured.out == ""


def test_missing_input_file_exits_2(tmp_path, capsys, main):
    assert main(["cluster", str(tmp_path / "nope.jsonl")]) == 2
    assert "nope.jsonl" in capsys.readouterr().err


def test_unknown_command_is_a_usage_error(capsys, main):
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_clean_report_prints_kinds(tmp_path, capsys, main):
    path = tmp_path / "debris.jsonl"
    text = (
        "Share this\n\nThe council approved the new budget on Monday after a long debate.\n\n"
        "Leave a Reply\n\nYour email address will not be published."
    )
    path.write_text(json.dumps({"id": "a", "title": "Budget", "text": text}) + "\n", "utf-8")
    assert main(["clean", str(path), "--report"]) == 0
    stdout = capsys.readouterr().out
    assert "1 articles" in stdout
    assert "lines removed" in stdout
    assert "kind" in stdout
    table = stdout.split("examples", 1)[1]
    assert "Share this" in table or "Leave a Reply" in table


def test_format_events_empty_list():
    assert format_events([], top=5).endswith("0 events (0 of a single article)")


def test_cluster_creates_the_output_directory(tmp_path, capsys, main):
    sample = Path(__file__).resolve().parents[1] / "data" / "sample" / "articles.jsonl"
    out = tmp_path / "new" / "assignments.jsonl"
    assert main(["cluster", str(sample), "-o", str(out), "--quiet"]) == 0
    assert out.exists()
