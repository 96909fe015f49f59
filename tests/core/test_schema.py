"""The SQLite schema of an older checkout is brought up to date by `cityops migrate`."""

import pytest

from core import db
from core.schema import migrate


async def test_an_older_sqlite_database_gains_the_new_columns(api):
    if not db.is_sqlite():
        pytest.skip("PostgreSQL follows the Piccolo migrations (tested by the whole suite)")
    admin = await api.staff("admin")
    created = await api.post(
        "/api/admin/places",
        json={"kind": "parking", "name": "老停车场", "location": {"lat": 36.06, "lon": 120.38}},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    # As the database looked before car parks were bound to a parking feed.
    await db.raw('ALTER TABLE "place" DROP COLUMN "feed_client_id"')
    assert await migrate() == "sqlite schema created (1 columns added)"
    assert await migrate() == "sqlite schema created"
    feed = await api.get(f"/api/admin/places/{created.json()['id']}/feed", headers=admin.headers)
    assert feed.json() == {"placeId": created.json()["id"], "clientId": None}
    assert (
        await api.get(f"/api/admin/places/{created.json()['id']}", headers=admin.headers)
    ).json()["name"] == "老停车场"
