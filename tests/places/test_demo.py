"""The demo district: thousands of places and hundreds of signposts; a second run adds none."""

from places.demo import load_places_demo
from places.tables import Place
from qr.tables import Signpost
from tests.places.util import fresh_index, nearby  # noqa: F401


async def test_demo_places_and_signposts(api):
    first = await load_places_demo()
    assert "3000 places" in first and "300 signposts" in first
    assert await Place.count() == 3000 and await Signpost.count() == 300
    assert await load_places_demo() == "demo places already loaded"
    assert await Place.count() == 3000
    found = await nearby(api, kinds="toilet,parking,park", radius=1000, limit=50)
    assert len(found["items"]) == 50
    sign = await Signpost.select(Signpost.code).first()
    scan = await api.get(f"/api/citizen/signposts/{sign['code']}")
    assert scan.status_code == 200 and scan.json()["nearby"]["toilet"]
