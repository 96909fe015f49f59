"""Shops and merchant accounts, made the way admins make them: through the admin API."""

from __future__ import annotations

import itertools

from tests.helpers import Session, staff_login

_seq = itertools.count(1)


async def new_shop(api, admin: Session, name: str = "青岛书城") -> dict:
    body = {"kind": "shop", "code": f"SHOP-{next(_seq)}", "nameZh": name}
    response = await api.post("/api/admin/org-units", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def new_merchant(api, admin: Session, shop: dict) -> Session:
    username, password = f"merchant{next(_seq)}", "merchant-pass-1"
    body = {"username": username, "password": password, "role": "merchant", "orgUnitId": shop["id"]}
    response = await api.post("/api/admin/staff", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return await staff_login(api.client, username, password, subject_id=response.json()["id"])
