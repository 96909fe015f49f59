"""places/_kernel.c: what it prints matches the Python it stands in for (urllib's quoting,
numpy's rounding), and buffers that do not fit are refused with an error, never read past."""

import math
import random
from urllib.parse import quote

import msgspec
import numpy as np
import pytest

from places import _kernel
from places.navigation import NavLinks, quoted_json_name
from places.packing import segment_of
from tests.places.test_index import _index, _rows


def _links(lat, lon, name):
    document = _kernel.links(lat, lon, msgspec.json.encode(name), quoted_json_name, b"src")
    return msgspec.json.decode(document, type=NavLinks)


@pytest.mark.parametrize(
    "name",
    [
        "栈桥公厕",
        "".join(chr(c) for c in range(32, 127)),  # every printable ASCII character
        'say "hi" \\ there',  # JSON escapes these: the Python fallback quotes it
        "tab\tand\nnewline",
        "emoji 🚻 and ß",
    ],
)
def test_names_are_quoted_as_urllib_quotes_them(name):
    links = _links(36.06, 120.38, name)
    assert links.apple.endswith("&q=" + quote(name, safe=""))
    assert f"to={quote(name, safe='')}&" in links.tencent


def test_coordinates_are_rounded_as_numpy_rounds_them():
    rng = random.Random(1)
    values = [rng.uniform(-90, 90) for _ in range(2000)]
    values += [0.0, -0.0, 1e-7, -4e-7, 36.0000005, 120.0000015, 89.9999999]
    for lat in values:
        apple = _links(lat, 120.5, "x").apple
        printed = apple.split("daddr=")[1].split(",")[0]
        assert float(printed) == float(np.round(lat, 6)), (lat, printed)
        assert "e" not in printed and len(printed.split(".")[1]) <= 6


def test_bearing_is_clockwise_from_north():
    assert _kernel.bearing(36.0, 120.0, 36.01, 120.0) == pytest.approx(0.0)
    assert _kernel.bearing(36.0, 120.0, 36.0, 120.01) == pytest.approx(90.0)
    assert _kernel.bearing(36.0, 120.0, 35.99, 120.0) == pytest.approx(180.0)
    assert _kernel.bearing(36.0, 120.0, 36.0, 119.99) == pytest.approx(270.0)
    assert 0 <= _kernel.bearing(36.0, 120.0, 36.01, 119.9999999) < 360
    assert _kernel.bearing(0.0, 0.0, 1.0, -1e-300) == 0.0  # not 360


def test_an_empty_name_still_makes_links():
    assert _links(36.06, 120.38, "").apple.endswith("&q=")


def _segment():
    return _index(_rows(50, seed=9)).main


def _nearest_args(segment, **changes):
    args = {
        "keys": segment.keys,
        "lat": segment.lat,
        "lon": segment.lon,
        "flags": segment.flags,
        "dead": None,
        "ids": segment.ids,
        "sched": segment.sched,
        "kinds": [0, 1, 2],
        "qlat": 36.06,
        "qlon": 120.385,
        "radius": 5000.0,
        "need": 0,
        "limit": 10,
    }
    return list({**args, **changes}.values())


def test_nearest_refuses_columns_of_different_lengths():
    segment = _segment()
    with pytest.raises(ValueError, match="different lengths"):
        _kernel.nearest(*_nearest_args(segment, lat=segment.lat[:-1]))
    with pytest.raises(ValueError, match="different lengths"):
        _kernel.nearest(*_nearest_args(segment, dead=np.zeros(3, bool)))
    with pytest.raises(TypeError):
        _kernel.nearest(*_nearest_args(segment, keys=segment.keys.astype(np.int32)[:-1]))


@pytest.mark.parametrize(
    "change",
    [
        {"lat": "lat32"},  # float32 where doubles are read
        {"keys": "unaligned"},
        {"ids": "float"},
        {"flags": "int64"},
    ],
)
def test_nearest_refuses_buffers_of_the_wrong_type_or_alignment(change):
    segment = _segment()
    (name, how), n = next(iter(change.items())), len(segment.ids)
    wrong = {
        "lat32": lambda: np.zeros(2 * n, np.float32),
        "unaligned": lambda: np.frombuffer(bytearray(8 * n + 1), np.int64, count=n, offset=1),
        "float": lambda: segment.ids.astype(np.float64),
        "int64": lambda: segment.flags.astype(np.int64),
    }[how]()
    with pytest.raises(TypeError, match="expected aligned"):
        _kernel.nearest(*_nearest_args(segment, **{name: wrong}))


def test_a_huge_limit_holds_at_most_the_segment():
    segment = _segment()
    positions, _, _ = _kernel.nearest(*_nearest_args(segment, limit=2**62, radius=1e6))
    assert len(positions) == 8 * len(segment.ids)


def test_places_near_a_pole_are_found():
    kind_ids = {"toilet": 0}
    rows = [dict(_rows(1, seed=1)[0], kind="toilet", lat=89.95, lon=100.0)]
    segment = segment_of(rows, kind_ids)
    positions, distances, _ = _kernel.nearest(
        *_nearest_args(segment, kinds=[0], qlat=89.95, qlon=0.0, radius=10_000.0)
    )
    assert len(positions) == 8 and 9_000 < np.frombuffer(distances)[0] < 10_000


@pytest.mark.parametrize(
    "change",
    [
        {"qlat": math.nan},
        {"qlon": math.inf},
        {"radius": -1.0},
        {"radius": 1e12},
        {"qlat": 90.5},
        {"qlon": -181.0},
        {"kinds": [-1]},
        {"kinds": [2**40]},
        {"kinds": [1, 0, 1]},
    ],
)
def test_nearest_refuses_points_and_kinds_out_of_range(change):
    with pytest.raises(ValueError, match="out of range|twice"):
        _kernel.nearest(*_nearest_args(_segment(), **change))


def test_nearest_keeps_the_limit_and_the_order():
    segment = _segment()
    positions, distances, hours = _kernel.nearest(*_nearest_args(segment))
    distances = np.frombuffer(distances)
    assert len(distances) == 10 and list(distances) == sorted(distances)
    everything = _kernel.nearest(*_nearest_args(segment, limit=-1, radius=50_000.0))[1]
    everything = np.frombuffer(everything)
    assert len(everything) == 50 and list(everything[:10]) == list(distances)
    assert _kernel.nearest(*_nearest_args(segment, limit=0)) == (b"", b"", [])
    rows = np.frombuffer(positions, np.int64)
    expected = segment.sched[rows] * 2 + (segment.flags[rows] & _kernel.STATUS_OPEN != 0)
    assert hours == expected.tolist()  # what open-now is worked out from


def _items_args(segment, **changes):
    pos = changes.get("pos", np.arange(3, dtype=np.int64))
    args = {
        "records": segment.records,
        "bounds": segment.bounds,
        "cuts": segment.cuts,
        "ids": segment.ids,
        "kinds": segment.kinds,
        "lat": segment.lat,
        "lon": segment.lon,
        "d_lat": segment.d_lat,
        "d_lon": segment.d_lon,
        "pos": pos,
        "distance": np.zeros(len(pos)),
        "open_now": np.ones(len(pos), np.int8),
        "kind_json": [b'"toilet"', b'"parking"', b'"park"'],
        "fallback": quoted_json_name,
        "qlat": 36.06,
        "qlon": 120.385,
        "coord_sys": 0,
        "src": b"cityops",
    }
    return list({**args, **changes}.values())


def test_items_print_what_the_segment_holds():
    segment = _segment()
    documents, ends = _kernel.items(*_items_args(segment))
    items = msgspec.json.decode(b"[" + documents + b"]")
    ends = np.frombuffer(ends, np.int64).tolist()
    assert len(items) == 3 and ends[-1] == len(documents)
    starts = [0] + [end + 1 for end in ends[:-1]]  # each document, without the comma
    for start, end, item in zip(starts, ends, items, strict=True):
        assert msgspec.json.decode(documents[start:end]) == item
    for item, pos in zip(items, range(3), strict=True):
        details = segment.details(pos)
        assert item["id"] == segment.ids[pos] and item["name"] == details.name
        assert item["attributes"] == details.attributes and item["openNow"] is True
        assert item["location"]["lat"] == float(np.round(segment.lat[pos], 7))
        assert item["location"]["lon"] == float(np.round(segment.lon[pos], 7))


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"pos": np.array([0, 10_000], np.int64)}, IndexError),
        ({"pos": np.array([-1], np.int64)}, IndexError),
        ({"distance": np.zeros(2)}, ValueError),
        ({"cuts": np.zeros((2, 3), np.uint16)}, ValueError),
        ({"kind_json": []}, ValueError),
        ({"kind_json": ["toilet", "parking", "park"]}, ValueError),
        ({"coord_sys": 3}, ValueError),
        ({"distance": np.full(3, np.nan)}, ValueError),
        ({"qlat": np.nan}, ValueError),
        ({"cuts": np.zeros((50, 3), np.int16)}, TypeError),
        ({"fallback": lambda name: "not bytes"}, None),
    ],
)
def test_items_refuse_what_does_not_fit(change, error):
    segment = _segment()
    if error is None:  # only a name JSON escaped asks the fallback
        _kernel.items(*_items_args(segment, **change))
        return
    with pytest.raises(error):
        _kernel.items(*_items_args(segment, **change))


def test_no_rows_print_nothing():
    documents, ends = _kernel.items(*_items_args(_segment(), pos=np.empty(0, np.int64)))
    assert documents == b"" and ends == b""


def test_a_record_outside_the_records_is_refused():
    segment = _segment()
    bounds = segment.bounds.copy()
    bounds[0] = (0, len(segment.records) + 10)
    with pytest.raises(ValueError, match="outside the records"):
        _kernel.items(*_items_args(segment, bounds=bounds))


def test_a_fallback_that_returns_no_bytes_is_an_error():
    with pytest.raises(TypeError, match="must return bytes"):
        _kernel.links(36.0, 120.0, b'"a \\" b"', lambda name: "str", b"src")
    with pytest.raises(ValueError, match="not a JSON string"):
        _kernel.links(36.0, 120.0, b"plain", quoted_json_name, b"src")
