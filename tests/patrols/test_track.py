"""Track geometry without a database: jumps, restarts, distance, coverage."""

import pytest
from shapely.geometry import box

from org.geo import distance_m
from patrols import track
from patrols.track import Fix

LAT, LON = 36.0575, 120.371
STEP = 0.00007  # ~6.3 m of longitude here: a walker's 5 s


def _walk(n: int, *, start_ms: int = 0, lat: float = LAT, lon: float = LON) -> list[Fix]:
    return [Fix(start_ms + i * 5000, lat, lon + i * STEP) for i in range(n)]


def test_a_walk_is_one_run_with_its_length():
    runs, dropped = track.segments(_walk(11))
    assert dropped == 0 and len(runs) == 1
    assert track.run_length_m(runs[0]) == pytest.approx(
        distance_m(LAT, LON, LAT, LON + 10 * STEP), rel=1e-6
    )


def test_a_jump_faster_than_a_person_is_dropped():
    fixes = _walk(11)
    fixes[5] = Fix(fixes[5].t_ms, LAT + 0.01, fixes[5].lon)  # 1.1 km away for one fix
    runs, dropped = track.segments(fixes)
    assert dropped == 1 and len(runs) == 1
    assert track.run_length_m(runs[0]) == pytest.approx(
        distance_m(LAT, LON, LAT, LON + 10 * STEP), rel=1e-3
    )


def test_order_does_not_matter():
    fixes = _walk(20)
    assert track.segments(list(reversed(fixes))) == track.segments(fixes)


def test_a_consistent_new_place_restarts_the_track_without_counting_the_gap():
    first = _walk(5)
    later = _walk(5, start_ms=25_000, lat=LAT + 0.02)  # 2.2 km north, 5 s later: a bus?
    runs, dropped = track.segments(first + later)
    assert len(runs) == 2 and dropped == 0
    total = sum(track.run_length_m(run) for run in runs)
    assert total == pytest.approx(2 * distance_m(LAT, LON, LAT, LON + 4 * STEP), rel=1e-3)


def test_coverage_of_a_grid_by_a_buffered_track():
    grid = box(LON - 0.001, LAT - 0.001, LON + 0.005, LAT + 0.001)  # ~540 m x 222 m
    runs, _ = track.segments(_walk(60))  # ~370 m along its middle
    shares = track.coverage([track.covered_area(track.track_geometry(runs))], {1: grid})
    # 60 m wide band over ~370 m + the round ends, of ~120,000 m2.
    assert 0.17 < shares[1] < 0.22
    assert track.coverage([], {1: grid}) == {1: 0.0}
    assert track.coverage([track.covered_area(track.track_geometry(runs))], {}) == {}


def test_a_single_fix_covers_a_disc():
    grid = box(LON - 0.001, LAT - 0.001, LON + 0.001, LAT + 0.001)
    shares = track.coverage(
        [track.covered_area(track.track_geometry([[Fix(0, LAT, LON)]]))], {7: grid}
    )
    area = distance_m(LAT, LON - 0.001, LAT, LON + 0.001) * distance_m(
        LAT - 0.001, LON, LAT + 0.001, LON
    )
    assert shares[7] == pytest.approx(3.14159 * 30**2 / area, rel=0.05)


def test_covered_area_round_trips_and_unions():
    runs, _ = track.segments(_walk(30))
    area = track.covered_area(track.track_geometry(runs))
    stored = track.from_geojson(track.to_geojson(area))
    assert stored.geom_type == "Polygon"
    grid = box(LON - 0.001, LAT - 0.001, LON + 0.005, LAT + 0.001)
    once = track.coverage([stored], {1: grid})[1]
    assert track.coverage([stored, stored], {1: grid})[1] == once  # the same street twice


def test_a_much_walked_loop_covers_a_ring():
    """40,000 fixes round one 300 m loop with GPS noise (the case the piecewise buffer is
    for): the covered area is the 60 m wide ring, once."""
    import math

    fixes = [
        Fix(
            k * 1000,
            LAT + (300 * math.sin(k / 250) + 3 * math.sin(k * 12.9898)) / 111_320,
            LON + (300 * math.cos(k / 250) + 3 * math.cos(k * 78.233)) / 90_000,
        )
        for k in range(40_000)
    ]
    runs, _ = track.segments(fixes)
    area = track.covered_area(track.track_geometry(runs))
    ring = 2 * math.pi * 300 * (60 + 2 * 3)  # 30 m each side, widened by the +-3 m noise
    assert track.Plane(LAT, LON).forward(area).area == pytest.approx(ring, rel=0.05)
