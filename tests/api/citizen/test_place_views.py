"""The nearby list is printed as bytes from the index's columns and JSON records: it must be
the document the NearbyOut Struct describes, place by place what the search found."""

import math
from urllib.parse import parse_qs, urlparse

import msgspec
import pytest

from api.citizen.place_views import NearbyOut, nearby_json
from org import geo
from tests.places.test_index import NOW, _index, _rows


@pytest.mark.parametrize("coord_sys", ["wgs84", "gcj02", "bd09"])
def test_rendered_bytes_are_the_documented_struct(coord_sys):
    rows = _rows(400, seed=5)
    for row in rows[::7]:  # names and addresses that need escaping in JSON and in URLs
        row.update(name=f'公厕 "{row["id"]}" \\ & #', address="line\nbreak\t<tab>")
    for row in rows[3::7]:  # only in URLs
        row.update(name=f"A-b_c.d~e/f?g=h&i j+k%l;m,n'o(p)*{row['id']}號")
    by_id = {row["id"]: row for row in rows}
    index = _index(rows)
    hits = index.search(
        lat=36.06, lon=120.385, kinds=["toilet", "park"], radius_m=5000, limit=50, now=NOW
    )
    assert len(hits) == 50
    items = msgspec.json.decode(nearby_json(hits, coord_sys), type=NearbyOut).items
    for hit, item in zip(hits, items, strict=True):
        row = by_id[item.id]
        assert (item.id, item.kind, item.name, item.address, item.status) == (
            hit.id,
            row["kind"],
            row["name"],
            row["address"],
            row["status"],
        )
        assert item.attributes == row["attributes"]
        assert item.distance_m == round(hit.distance_m)
        assert item.bearing_deg == round(hit.bearing_deg) % 360
        assert item.open_now is hit.open_now
        expected = {
            "wgs84": (row["lat"], row["lon"]),
            "gcj02": geo.wgs84_to_gcj02(row["lat"], row["lon"]),
            "bd09": geo.wgs84_to_bd09(row["lat"], row["lon"]),
        }[coord_sys]
        assert item.location.coord_sys == coord_sys
        assert math.dist((item.location.lat, item.location.lon), expected) < 1e-6
        amap = parse_qs(urlparse(item.navigation.amap).query)
        lon, lat, name = amap["to"][0].split(",", 2)
        assert name == row["name"]
        assert (
            math.dist((float(lat), float(lon)), geo.wgs84_to_gcj02(row["lat"], row["lon"])) < 2e-6
        )
        apple = parse_qs(urlparse(item.navigation.apple).query)
        assert apple["q"] == [row["name"]]


def test_an_edited_place_is_rendered_afresh():
    rows = _rows(400, seed=6)
    index = _index(rows)
    first = index.search(lat=36.06, lon=120.385, kinds=["toilet"], radius_m=5000, limit=1, now=NOW)
    nearby_json(first, "wgs84")
    renamed = dict(next(r for r in rows if r["id"] == first[0].id), name="新名字")
    index.apply([renamed], version=2)
    again = index.search(lat=36.06, lon=120.385, kinds=["toilet"], radius_m=5000, limit=1, now=NOW)
    assert again[0].id == first[0].id
    assert msgspec.json.decode(nearby_json(again, "wgs84"))["items"][0]["name"] == "新名字"


def test_nothing_found_is_an_empty_list():
    index = _index(_rows(50, seed=7))
    hits = index.search(lat=0.0, lon=0.0, kinds=["toilet"], radius_m=100, limit=5, now=NOW)
    assert msgspec.json.decode(nearby_json(hits, "gcj02")) == {"items": []}
