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


async def signed_in(api, role: str = "operator", **fields):
    session = await api.staff(role, password=PASSWORD, **fields)
    from accounts.tables import Staff

    row = await Staff.select(Staff.user.username).where(Staff.id == session.subject_id).first()
    response = await sign_in(api, row["user.username"])
    assert response.status_code == 303, response.text
    return session


async def form_post(api, url: str, page_html: str, data: dict | None = None, **headers):
    return await api.post(url, data={**(data or {}), "_csrf_token": csrf_of(page_html)}, **headers)
