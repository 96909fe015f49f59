"""The nearby index against brute force: same places, same order, main and overlay."""

import datetime as dt
import random

import pytest

from org.geo import distance_m
from places.index import PlaceIndex
from places.packing import segment_of

NOW = dt.datetime(2026, 12, 1, 9, 0)


def _rows(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(1, count + 1):
        rows.append(
            {
                "id": i,
                "kind": rng.choice(["toilet", "parking", "park"]),
                "lat": 36.06 + rng.gauss(0, 0.02),
                "lon": 120.385 + rng.gauss(0, 0.02),
                "name": f"p{i}",
                "address": "",
                "hours": rng.choice(["24/7", "", "Mo 08:00-09:00"]),
                "status": rng.choice(["open", "open", "closed"]),
                "deleted": False,
                "attributes": {"accessible": rng.random() < 0.5},
            }
        )
    return rows


def _index(rows: list[dict]) -> PlaceIndex:
    kind_ids = {"toilet": 0, "parking": 1, "park": 2}
    main = segment_of(rows, kind_ids)
    return PlaceIndex(1, 1, main, list(kind_ids))


def _brute(rows, lat, lon, kinds, radius, limit, accessible=False, open_now=False):
    found = []
    for row in rows:
        if row["deleted"] or row["kind"] not in kinds:
            continue
        if accessible and not row["attributes"]["accessible"]:
            continue
        if open_now and not (row["status"] == "open" and row["hours"] == "24/7"):
            continue  # NOW is a Tuesday 09:00: "Mo 08:00-09:00" is closed, "" unknown
        d = distance_m(lat, lon, row["lat"], row["lon"])
        if d <= radius - 0.01:
            found.append((d, row["id"]))
    return [place_id for _, place_id in sorted(found)[:limit]]


@pytest.mark.parametrize("edited", [False, True])
def test_search_matches_brute_force(edited):
    rows = _rows(3000, seed=1)
    index = _index(rows)
    rng = random.Random(2)
    if edited:  # a tenth of the places moved, renamed or deleted: the overlay shadows main
        changed = {}
        for row in rng.sample(rows, 300):
            lat, lon = 36.06 + rng.gauss(0, 0.02), 120.385 + rng.gauss(0, 0.02)
            changed[row["id"]] = dict(row, lat=lat, lon=lon, deleted=rng.random() < 0.2)
        index.apply(list(changed.values()), version=2)
        rows = [changed.get(row["id"], row) for row in rows]
    for _ in range(150):
        lat, lon = 36.06 + rng.gauss(0, 0.02), 120.385 + rng.gauss(0, 0.02)
        kinds = rng.sample(["toilet", "parking", "park"], rng.randint(1, 3))
        radius, limit = rng.choice([100, 500, 2000, 5000]), rng.choice([1, 5, 20, 50])
        accessible, open_now = rng.random() < 0.3, rng.random() < 0.3
        hits = index.search(
            lat=lat,
            lon=lon,
            kinds=kinds,
            radius_m=radius,
            limit=limit,
            accessible=accessible,
            open_now=open_now,
            now=NOW,
        )
        expected = _brute(rows, lat, lon, kinds, radius, limit, accessible, open_now)
        got = [hit.id for hit in hits if hit.distance_m <= radius - 0.01]
        assert got == expected[: len(got)] and len(hits) >= len(expected)
        assert all(a.distance_m <= b.distance_m for a, b in zip(hits, hits[1:], strict=False))


def test_overlay_shadows_main():
    rows = _rows(500, seed=3)
    index = _index(rows)
    moved = dict(rows[0], lat=36.06, lon=120.385, name="moved")
    deleted = dict(rows[1], deleted=True)
    added = dict(
        rows[2],
        id=10_000,
        lat=36.0601,
        lon=120.385,
        name="added",
        kind="toilet",
        status="open",
        hours="24/7",
    )
    index.apply([moved, deleted, added], version=2)
    rows = [moved, deleted, *rows[2:], added]
    assert index.version == 2 and len(index) == 500
    hits = index.search(
        lat=36.06, lon=120.385, kinds=[moved["kind"], "toilet"], radius_m=5000, limit=50, now=NOW
    )
    ids = [hit.id for hit in hits]
    assert ids[0] == moved["id"] and hits[0].details.name == "moved"
    assert 10_000 in ids and deleted["id"] not in ids
    assert ids == _brute(rows, 36.06, 120.385, {moved["kind"], "toilet"}, 5000, 50)
