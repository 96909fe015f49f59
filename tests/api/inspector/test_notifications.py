"""Staff get their tasks and SLA reminders in the same inbox, with the staff app's links."""

from core.db import transaction
from notify.service import enqueue
from notify.worker import Outbox

INBOX = "/api/inspector/notifications"


async def test_staff_inbox_and_preferences(api):
    staff = await api.staff("handler")
    async with transaction():
        await enqueue(
            recipient_kind="staff",
            recipient_id=staff.subject_id,
            template="sla.red",
            params={"caseId": "c_9", "number": "N0009"},
            urgent=True,
        )
        await enqueue(
            recipient_kind="citizen",
            recipient_id=staff.subject_id,
            template="case.accepted",
            params={"caseId": "c_1", "number": "N0001"},
        )
    await Outbox(providers={}).drain()
    body = (await api.get(INBOX, headers=staff.headers)).json()
    [item] = body["items"]  # the citizen with the same numeric id is someone else
    assert item["type"] == "sla.red" and item["title"] == "已超时"
    assert item["link"] == "cityops-staff://cases/c_9" and item["page"] == ""
    response = await api.put(
        f"{INBOX}/preferences",
        headers=staff.headers,
        json={"muted": ["push"], "quietHours": {"start": "22:30", "end": "06:30"}},
    )
    assert response.status_code == 200, response.text
    assert (await api.get(f"{INBOX}/preferences", headers=staff.headers)).json() == {
        "muted": ["push"],
        "quietHours": {"start": "22:30", "end": "06:30"},
    }
    response = await api.post(f"{INBOX}/read", headers=staff.headers, json={"all": True})
    assert response.json() == {"updated": 1, "unread": 0}
    # Subscribe messages are a mini-program (citizen) thing.
    response = await api.get(f"{INBOX}/subscriptions", headers=staff.headers)
    assert response.status_code in (404, 405)
