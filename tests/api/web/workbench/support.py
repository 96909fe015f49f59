"""Signing in to the workbench over HTTP, as a browser does: the CSRF cookie from a page,
then the sign-in form."""

from __future__ import annotations

import re

PASSWORD = "correct-horse-battery"
CSRF_INPUT = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_INPUT.search(html)
    assert match, "no CSRF input on the page"
    return match.group(1)


async def sign_in(api, username: str, password: str = PASSWORD, **headers):
    api.client.cookies.clear()
    page = await api.get("/workbench/signin", headers=headers)
    return await api.post(
        "/workbench/signin",
        data={"username": username, "password": password, "_csrf_token": csrf_of(page.text)},
        headers=headers,
    )


async def sign_in_as(api, session, **headers):
    """The workbench session of a staff member the tests made (with the default password)."""
    from accounts.tables import Staff

    row = await Staff.select(Staff.user.username).where(Staff.id == session.subject_id).first()
    response = await sign_in(api, row["user.username"], **headers)
    assert response.status_code == 303, response.text
    return session


async def signed_in(api, role: str = "operator", **fields):
    return await sign_in_as(api, await api.staff(role, password=PASSWORD, **fields))


async def file_report(api, citizen, category="E0102", seed=0, at=None):
    from tests.cases_city import IN_GRID
    from tests.helpers import upload_photo

    lat, lon = at or IN_GRID
    body = {
        "category": category,
        "location": {"lat": lat, "lon": lon},
        "description": f"workbench test {seed}",
        "mediaIds": [await upload_photo(api.client, citizen, seed=seed)],
    }
    response = await api.post("/api/citizen/reports", json=body, headers=citizen.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def form_post(api, url: str, page_html: str, data: dict | None = None, **headers):
    return await api.post(url, data={**(data or {}), "_csrf_token": csrf_of(page_html)}, **headers)
