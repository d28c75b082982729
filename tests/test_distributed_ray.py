"""The Ray engine gives exactly the single-process windowed result (storycluster[ray])."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = [
    pytest.mark.slow,  # every test here starts a local Ray cluster
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

pytest.importorskip("ray.data", reason="ray is not installed: pip install 'storycluster[ray]'")

from storycluster.distributed import _core as dist  # noqa: E402
from storycluster.distributed import ray as scr  # noqa: E402
from storycluster.testing import event_articles, event_embeddings  # noqa: E402

_HOME_TOKEN = Path.home() / ".ray" / "auth_token"
# Set for the session only: no usage report, and the token that init_local points Ray at.
_ENVIRONMENT = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_TOKEN_PATH": None}


@pytest.fixture(scope="session")
def ray_session(tmp_path_factory):
    """One local Ray for the whole session: 2 CPUs, no dashboard, files under a tmp dir."""
    import ray
    from ray.data import DataContext

    saved = {key: os.environ.get(key) for key in _ENVIRONMENT}
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    had_home_token = _HOME_TOKEN.exists()
    temp_dir = tmp_path_factory.mktemp("ray")
    scr.init_local(num_cpus=2, temp_dir=temp_dir)
    context = DataContext.get_current()
    progress = context.enable_progress_bars
    context.enable_progress_bars = False
    yield {"temp_dir": temp_dir, "had_home_token": had_home_token}
    context.enable_progress_bars = progress
    ray.shutdown()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _dataset(frame: pd.DataFrame, blocks: int = 2):
    """A Ray Dataset of ``frame`` in a few blocks, so that tasks really split the rows."""
    import ray

    bounds = np.linspace(0, len(frame), blocks + 1).astype(int)
    parts = [frame.iloc[lo:hi] for lo, hi in itertools.pairwise(bounds)]
    return ray.data.from_pandas([part for part in parts if len(part)] or [frame])


def _assert_same_events(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    assert got["event_id"].tolist() == expected["event_id"].tolist()  # same order too
    for column in ("representative_id", "size"):
        assert got[column].tolist() == expected[column].tolist(), column
    for column in ("keywords", "sources"):
        assert [list(v) for v in got[column]] == [list(v) for v in expected[column]], column
    for column in ("first_seen", "last_seen"):
        left = pd.to_datetime(expected[column], utc=True)
        right = pd.to_datetime(got[column], utc=True)
        assert ((left == right) | (left.isna() & right.isna())).all(), column


def test_ray_files_stay_in_temp_dir(ray_session):
    temp_dir = ray_session["temp_dir"]
    assert any(temp_dir.glob("session_*"))
    if not ray_session["had_home_token"]:
        assert not _HOME_TOKEN.exists()
        assert (temp_dir / "auth_token").is_file()


def test_ray_equals_single_process_small(ray_session):
    records, gold = event_articles()
    frame = dist.frame_from_articles(records, event_embeddings(gold))
    links, events = dist.cluster_pandas(frame)
    assignments, events_ds = scr.cluster_dataset(_dataset(frame))
    got = assignments.to_pandas()
    assert list(got.columns) == scr.ASSIGNMENT_COLUMNS
    assert dict(zip(got["article_id"], got["event_id"], strict=True)) == dict(
        zip(links["article_id"], links["event_id"], strict=True)
    )
    _assert_same_events(events, events_ds.to_pandas())
    assert len(events) == 5  # four events and the loner
    # Stories: the same as one process, and every event whole in one story.
    assert dict(zip(got["article_id"], got["story_id"], strict=True)) == dict(
        zip(links["article_id"], links["story_id"], strict=True)
    )
    assert (got.groupby("event_id")["story_id"].nunique() == 1).all()
    story_of = events_ds.to_pandas().set_index("event_id")["story_id"].to_dict()
    assert story_of == events.set_index("event_id")["story_id"].to_dict()

    clusters = scr.to_events(events_ds, assignments, limit=2)
    assert [c.id for c in clusters] == events["event_id"].head(2).tolist()
    assert clusters[0].members[0].is_representative
    assert clusters[0].first_published is not None


def test_ray_rejects_bad_input(ray_session):
    records, gold = event_articles()
    frame = dist.frame_from_articles(records, event_embeddings(gold))
    with pytest.raises(ValueError, match="embedding"):
        scr.cluster_dataset(_dataset(frame.drop(columns=["embedding"])))
    with pytest.raises(ValueError, match=r"unique|duplicate"):
        scr.cluster_dataset(_dataset(pd.concat([frame, frame.head(1)], ignore_index=True)))
    with pytest.raises(ValueError, match="step_days"):
        scr.cluster_dataset(_dataset(frame), window_days=2, step_days=3)
    assignments, events = scr.cluster_dataset(_dataset(frame.head(0), blocks=1))
    assert assignments.count() == 0
    assert events.count() == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", ["gvc", "allsides2021"])
def test_ray_equals_single_process(ray_session, windowed_reference, name):
    _articles, _vectors, frame, links, events = windowed_reference(name)

    assignments, events_ds = scr.cluster_dataset(_dataset(frame, blocks=3))
    ray_links = assignments.to_pandas()

    # Identical partition, scores, event ids and summaries.
    expected = links.set_index("article_id").sort_index()
    got = ray_links.set_index("article_id").sort_index()
    assert got.index.tolist() == expected.index.tolist()
    assert got["event_id"].tolist() == expected["event_id"].tolist()
    assert got["score"].tolist() == expected["score"].tolist()
    _assert_same_events(events, events_ds.to_pandas())

    clusters = scr.to_events(events_ds, assignments, limit=3)
    assert [c.id for c in clusters] == events["event_id"].head(3).tolist()
    assert all(c.members[0].is_representative for c in clusters)
    assert [c.size for c in clusters] == events["size"].head(3).tolist()


@pytest.mark.slow
def test_embed_dataset_on_an_actor(ray_session, windowed_reference):
    articles, vectors, *_ = windowed_reference("gvc")
    frame = dist.frame_from_articles(articles[:6], vectors[:6]).drop(columns=["embedding"])
    # No cache: the actor loads the real model from disk and embeds.
    embedded = scr.embed_dataset(_dataset(frame), rows_per_batch=4).to_pandas()
    got = np.stack(embedded.sort_values("id")["embedding"].to_numpy())
    order = np.argsort([a.id for a in articles[:6]], kind="stable")
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, vectors[:6][order], atol=1e-5)


def test_default_actor_pool_leaves_a_cpu_free():
    class FakeRay:
        def __init__(self, resources: dict[str, float]) -> None:
            self.resources = resources

        def cluster_resources(self) -> dict[str, float]:
            return self.resources

    assert scr._default_actors(FakeRay({"CPU": 2.0}), 1.0, None) == 1
    assert scr._default_actors(FakeRay({"CPU": 1.0}), 1.0, None) == 1
    assert scr._default_actors(FakeRay({"CPU": 16.0}), 2.0, None) == 7
    assert scr._default_actors(FakeRay({"CPU": 16.0, "GPU": 2.0}), 1.0, 1.0) == 2
