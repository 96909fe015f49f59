"""Helpers for points and rewards tests."""

from __future__ import annotations

import itertools

from core.db import transaction
from points import service as ledger
from tests.helpers import Session

_seed = itertools.count(1)


def public_citizen_id(session: Session) -> str:
    """What admins name the citizen by: the access token's subject (and /me's id)."""
    import jwt

    return jwt.decode(session.access, options={"verify_signature": False})["sub"]


def citizen_id(session: Session) -> int:
    """The account's internal id (the token names its public id)."""
    assert session.subject_id is not None
    return session.subject_id


async def seed_points(account_id: int, amount: int, *, expires_at=None) -> None:
    async with transaction():
        await ledger.post(
            account_id=account_id,
            amount=amount,
            kind="earn",
            reference=f"seed:{next(_seed)}",
            code="case_accepted",
            expires_at=expires_at,
        )


async def new_reward(api, admin: Session, **fields) -> dict:
    def camel(name: str) -> str:
        head, *rest = name.split("_")
        return head + "".join(part.title() for part in rest)

    body = {
        "name": "公交卡充值 10 元",
        "cost": 100,
        "stock": 10,
        "fulfilment": "voucher",
        **{camel(k): v for k, v in fields.items()},
    }
    response = await api.post("/api/admin/rewards", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()["reward"]


async def balance(api, session: Session) -> int:
    response = await api.get("/api/citizen/points", headers=session.headers)
    assert response.status_code == 200, response.text
    return response.json()["balance"]


async def history(api, session: Session, limit: int = 100) -> list[dict]:
    items, cursor = [], None
    while True:
        url = f"/api/citizen/points/history?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = (await api.get(url, headers=session.headers)).json()
        items += page["items"]
        cursor = page["nextCursor"]
        if cursor is None:
            return items


async def ledger_sums() -> dict[int, int]:
    from core.db import raw

    rows = await raw(
        "SELECT account_id, SUM(amount) AS total FROM points_entry GROUP BY account_id"
    )
    return {row["account_id"]: int(row["total"]) for row in rows}
