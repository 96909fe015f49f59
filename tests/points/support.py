"""Filing a citizen report with a given photo, for the earning, hold and review tests."""

from tests.cases_city import IN_GRID


async def report_with(api, citizen, photo: bytes, *, category: str, client=None) -> dict:
    """Upload ``photo`` as ``citizen`` and file a report with it; the report as returned.
    ``client``: another client of the app (one reached from another address)."""
    client = client or api.client
    upload = await client.post(
        "/api/citizen/media",
        headers=citizen.headers,
        files={"file": ("photo.jpg", photo, "image/jpeg")},
    )
    assert upload.status_code == 201, upload.text
    body = {
        "category": category,
        "location": {"lat": IN_GRID[0], "lon": IN_GRID[1]},
        "mediaIds": [upload.json()["id"]],
    }
    response = await client.post("/api/citizen/reports", json=body, headers=citizen.headers)
    assert response.status_code == 201, response.text
    return response.json()
