"""The citizen's inbox over HTTP: keyset pages, unread count, marking read, languages."""

import pytest

from accounts.tables import Citizen
from core.db import transaction
from notify.service import enqueue
from notify.worker import Outbox
from tests.helpers import assert_problem

INBOX = "/api/citizen/notifications"


async def _cid(openid: str) -> int:
    return (await Citizen.select(Citizen.id).where(Citizen.wechat_openid == openid).first())["id"]


async def _deliver(recipient_id: int, count: int, *, kind: str = "citizen", start: int = 0):
    async with transaction():
        for i in range(start, start + count):
            await enqueue(
                recipient_kind=kind,
                recipient_id=recipient_id,
                template="case.rejected",
                params={"caseId": f"c_{i}", "number": f"N{i:04d}", "note": "重复上报"},
            )
    await Outbox(providers={}).drain()  # inbox only


@pytest.fixture
async def citizen(api):
    session = await api.citizen("openid-inbox")
    session.subject_id = await _cid("openid-inbox")
    return session


async def test_inbox_pages_newest_first_and_counts_unread(api, citizen):
    await _deliver(citizen.subject_id, 25)
    seen, cursor = [], None
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        page = (await api.get(INBOX, params=params, headers=citizen.headers)).json()
        assert page["unread"] == 25
        seen += [item["caseId"] for item in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == [f"c_{i}" for i in reversed(range(25))]
    first = (await api.get(INBOX, params={"limit": 1}, headers=citizen.headers)).json()["items"][0]
    assert first == {
        "id": first["id"],
        "type": "case.rejected",
        "title": "未予受理",
        "body": "N0024 未予受理：重复上报",
        "link": "cityops://cases/c_24",
        "page": "pages/case/detail?id=c_24",
        "caseId": "c_24",
        "params": {"caseId": "c_24", "number": "N0024", "note": "重复上报"},
        "createdAt": first["createdAt"],
        "read": False,
    }


async def test_new_notifications_do_not_shift_pages(api, citizen):
    await _deliver(citizen.subject_id, 4)
    page = (await api.get(INBOX, params={"limit": 2}, headers=citizen.headers)).json()
    await _deliver(citizen.subject_id, 3, start=10)
    rest = (
        await api.get(
            INBOX, params={"limit": 10, "cursor": page["nextCursor"]}, headers=citizen.headers
        )
    ).json()
    assert [i["caseId"] for i in rest["items"]] == ["c_1", "c_0"]


async def test_english_on_request(api, citizen):
    await _deliver(citizen.subject_id, 1)
    headers = {**citizen.headers, "Accept-Language": "en"}
    [item] = (await api.get(INBOX, headers=headers)).json()["items"]
    assert item["title"] == "Not accepted" and item["body"] == "N0000 was not accepted: 重复上报"


async def test_mark_some_then_all_read(api, citizen):
    await _deliver(citizen.subject_id, 5)
    other = await api.citizen("openid-other")
    await _deliver(await _cid("openid-other"), 1, start=100)
    items = (await api.get(INBOX, headers=citizen.headers)).json()["items"]
    theirs = (await api.get(INBOX, headers=other.headers)).json()["items"][0]["id"]
    response = await api.post(
        f"{INBOX}/read",
        headers=citizen.headers,
        json={"ids": [items[0]["id"], items[1]["id"], theirs]},
    )
    assert response.status_code == 200 and response.json() == {"updated": 2, "unread": 3}
    unread = (await api.get(INBOX, params={"unreadOnly": "true"}, headers=citizen.headers)).json()
    assert len(unread["items"]) == 3 and not any(i["read"] for i in unread["items"])
    response = await api.post(f"{INBOX}/read", headers=citizen.headers, json={"all": True})
    assert response.json() == {"updated": 3, "unread": 0}
    assert (await api.get(f"{INBOX}/unread-count", headers=citizen.headers)).json() == {"unread": 0}
    assert (await api.get(f"{INBOX}/unread-count", headers=other.headers)).json() == {"unread": 1}


async def test_bad_requests(api, citizen):
    assert_problem(
        await api.get(INBOX, params={"cursor": "nope!"}, headers=citizen.headers),
        400,
        "request.invalid_cursor",
    )
    response = await api.post(f"{INBOX}/read", headers=citizen.headers, json={"ids": "all"})
    assert response.status_code == 400
    response = await api.get(INBOX)
    assert response.status_code == 401
