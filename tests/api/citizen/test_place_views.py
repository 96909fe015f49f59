"""The nearby list is sent as bytes rendered from cached place parts: they must be the
document the NearbyOut Struct describes, and an edit must never be answered from the cache."""

import msgspec
import pytest

from api.citizen.place_views import NearbyOut, nearby_item, nearby_json
from tests.places.test_index import NOW, _index, _rows


def _document(hits, coord_sys):
    return msgspec.to_builtins(NearbyOut(items=[nearby_item(hit, coord_sys) for hit in hits]))


@pytest.mark.parametrize("coord_sys", ["wgs84", "gcj02", "bd09"])
def test_rendered_bytes_are_the_documented_struct(coord_sys):
    index = _index(_rows(400, seed=5))
    for _ in range(2):  # the second time from the cached parts
        hits = index.search(
            lat=36.06, lon=120.385, kinds=["toilet", "park"], radius_m=5000, limit=50, now=NOW
        )
        body = nearby_json(hits, coord_sys)
        assert len(hits) == 50
        assert msgspec.json.decode(body) == _document(hits, coord_sys)
        msgspec.json.decode(body, type=NearbyOut)  # and it validates as the schema says


def test_an_edited_place_is_rendered_afresh():
    rows = _rows(400, seed=6)
    index = _index(rows)
    first = index.search(lat=36.06, lon=120.385, kinds=["toilet"], radius_m=5000, limit=1, now=NOW)
    nearby_json(first, "wgs84")
    renamed = dict(next(r for r in rows if r["id"] == first[0].id), name="新名字")
    index.apply([renamed], version=2)
    again = index.search(lat=36.06, lon=120.385, kinds=["toilet"], radius_m=5000, limit=1, now=NOW)
    assert again[0].id == first[0].id and again[0].key != first[0].key
    assert msgspec.json.decode(nearby_json(again, "wgs84"))["items"][0]["name"] == "新名字"
