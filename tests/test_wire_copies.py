"""Wire copies syndicated by several outlets: marked as duplicates, kept in their event."""

from __future__ import annotations

import numpy as np

from storycluster import StoryClusterer

WIRE = (
    "Flood waters rose through the old town of Grimma on Tuesday after the Mulde river broke "
    "its banks, forcing the evacuation of 4,000 residents and closing the A14 motorway. "
    "Mayor Matthias Berger said the damage would exceed that of the 2002 flood. Emergency "
    "crews from Leipzig and Dresden worked through the night to shore up the last dike."
)


def _records():
    return [
        {"id": "wire-1", "title": "Mulde floods Grimma", "text": WIRE, "source": "Agency",
         "published_at": "2013-06-04T08:00:00Z"},
        {"id": "wire-2", "title": "Mulde floods Grimma", "text": "GRIMMA (Agency) - " + WIRE,
         "source": "Outlet B", "published_at": "2013-06-04T09:00:00Z"},
        {"id": "wire-3", "title": "Grimma flooded as Mulde bursts banks",
         "text": WIRE.replace("Tuesday", "Tuesday morning") + "\nReporting by A. Writer",
         "source": "Outlet C", "published_at": "2013-06-04T10:30:00Z"},
        {"id": "own-4", "title": "Grimma residents count the cost of the Mulde flood",
         "text": "Shopkeepers in Grimma's market square swept mud from their floors as Mayor "
                 "Matthias Berger toured the town, a day after the Mulde river flooded it and "
                 "4,000 people were evacuated.",
         "source": "Outlet D", "published_at": "2013-06-05T07:00:00Z"},
        {"id": "other-5", "title": "Central bank holds rates",
         "text": "The central bank kept its main interest rate unchanged on Thursday, citing "
                 "steady inflation and a cooling labour market.",
         "source": "Outlet E", "published_at": "2013-06-06T12:00:00Z"},
    ]  # fmt: skip


def test_wire_copies_marked_and_kept(fake_embedder):
    model = StoryClusterer(model=fake_embedder, cache=False).fit(_records())
    flood = model.result_.event_of("wire-1")
    members = {m.article_id: m for m in flood.members}
    assert {"wire-1", "wire-2", "wire-3"} <= set(members)
    assert members["wire-1"].duplicate_of is None
    assert members["wire-2"].duplicate_of == "wire-1"
    assert members["wire-3"].duplicate_of == "wire-1"
    # The representative is never a copy of another member.
    assert flood.representative.id not in {"wire-2", "wire-3"}
    assert members[flood.representative.id].duplicate_of is None
    # An independent report is not a duplicate; the unrelated article is its own event.
    if "own-4" in members:
        assert members["own-4"].duplicate_of is None
    assert model.result_.event_of("other-5").size == 1


def test_dedup_can_be_turned_off(fake_embedder):
    model = StoryClusterer(model=fake_embedder, cache=False, dedup_threshold=None).fit(_records())
    assert all(m.duplicate_of is None for c in model.events_ for m in c.members)


def test_duplicates_do_not_cross_events():
    # Identical texts in separate events (a bar no pair reaches): copies by text, but a copy
    # is only marked within its event.
    records = _records()[:2]
    records[1] = {**records[1], "published_at": "2019-06-04T09:00:00Z"}
    vectors = np.eye(2, 8, dtype=np.float32)
    model = StoryClusterer(threshold=1000.0).fit(records, embeddings=vectors)
    assert len(model.events_) == 2
    assert all(m.duplicate_of is None for c in model.events_ for m in c.members)
