"""The visibility policy (cases.visibility, README "Visibility of cases") through HTTP: what
leaves the staff side by Open311, similar reports, following, the follower's view, photos
and followers' notifications. Positions and the rate limit: test_visibility_position.py."""

from __future__ import annotations

import pytest

from notify.worker import Outbox
from tests.api.inspector.field import ok, photo
from tests.api.visibility_support import (
    Filed,
    World,
    build_world,
    follow,
    open311_list,
    open311_one,
    operator,
    photo_status,
    report,
    similar,
    view,
)
from tests.helpers import assert_problem


@pytest.fixture
async def w(api) -> World:
    return await build_world(api)


async def _stays_reported(w: World, filed: Filed) -> None:
    pass


async def _rejected_after_a_citizen_followed(w: World, filed: Filed) -> None:
    await operator(w, filed.id, "accept")
    assert (await follow(w, w.bob, filed.id)).status_code == 200
    assert await photo_status(w, w.bob, filed.photo) == 200  # public while accepted
    await operator(w, filed.id, "reject", reason="不属于城管受理范围")


async def _cancelled(w: World, filed: Filed) -> None:
    await operator(w, filed.id, "cancel", reason="重复提交")


async def _merged_into_an_unverified_case(w: World, filed: Filed) -> None:
    target = await report(w, who=await w.api.citizen())
    await operator(w, filed.id, "merge", intoCaseId=target.id)


@pytest.mark.parametrize(
    "make",
    [
        _stays_reported,
        _rejected_after_a_citizen_followed,
        _cancelled,
        _merged_into_an_unverified_case,
    ],
)
async def test_only_cases_accepted_by_staff_leave_the_staff_side(w, make):
    # A public case at the same spot shows that each path does answer.
    public = await report(w, description="另一处垃圾")
    await operator(w, public.id, "accept")
    hidden = await report(w)
    await make(w, hidden)

    listed = await open311_list(w)
    assert public.id in listed and hidden.id not in listed
    assert (await open311_one(w, public.id))[0] == 200
    assert (await open311_one(w, hidden.id))[0] == 404
    near = await similar(w, w.bob, hidden)
    assert public.id in near and hidden.id not in near
    assert_problem(await follow(w, w.bob, hidden.id), 404, "case.not_found")
    assert_problem(await view(w, w.bob, hidden.id), 404, "case.not_found")
    assert await photo_status(w, w.bob, hidden.photo) == 404
    assert (await follow(w, w.bob, public.id)).status_code == 200
    assert await photo_status(w, w.bob, public.photo) == 200

    # The reporter still sees all of their own.
    own = await view(w, w.alice, hidden.id)
    assert own.status_code == 200 and own.json()["description"].startswith("香港中路12号")
    assert await photo_status(w, w.alice, hidden.photo) == 200
    if make is _stays_reported:  # still open: the reporter's own similar check finds it
        assert hidden.id in await similar(w, w.alice, hidden)


async def test_a_merged_case_shows_as_the_case_it_was_merged_into(w):
    # Accepted and not yet dispatched, a case may still be merged.
    duplicate = await report(w)
    original = await report(w, who=await w.api.citizen())
    for case in (duplicate, original):
        await operator(w, case.id, "accept", autoDispatch=False)
    assert (await follow(w, w.bob, duplicate.id)).status_code == 200
    await operator(w, duplicate.id, "merge", intoCaseId=original.id)

    status, shown = await open311_one(w, duplicate.id)
    assert status == 200 and shown["service_request_id"] == original.id
    listed = await open311_list(w)
    assert original.id in listed and duplicate.id not in listed
    # Following the duplicate follows the original; its followers were carried over.
    dave = await w.api.citizen()
    followed = await follow(w, dave, duplicate.id)
    assert followed.status_code == 200 and followed.json()["id"] == original.id
    for case_id in (duplicate.id, original.id):
        seen = await view(w, w.bob, case_id)
        assert seen.status_code == 200 and seen.json()["id"] == original.id
    assert await photo_status(w, w.bob, original.photo) == 200
    assert await photo_status(w, w.bob, duplicate.photo) == 404
    # Its reporter still has the duplicate itself.
    assert (await view(w, w.alice, duplicate.id)).json()["id"] == duplicate.id


async def test_anonymous_reports_show_no_text_until_staff_moderate_one(w):
    carol = await w.api.citizen_by_phone("13912345678")
    words = {"description": "3号楼201住户在楼道私搭乱建", "address": "香港中路12号3号楼"}
    anonymous = await report(w, who=carol, anonymous=True, **words)
    named = await report(w)
    for case in (anonymous, named):
        await operator(w, case.id, "accept")
    assert (await follow(w, w.bob, anonymous.id)).status_code == 200

    async def public_texts(case_id: str) -> list[tuple[str, str]]:
        """(description, address) on each public path: Open311, the follower, similar."""
        one = (await open311_one(w, case_id))[1]
        listed = (await open311_list(w))[case_id]
        near = (await similar(w, w.bob, anonymous))[case_id]
        texts = [(one["description"], one["address"]), (listed["description"], listed["address"])]
        followed = (await view(w, w.bob, case_id)).json() if case_id == anonymous.id else None
        if followed is not None:
            texts.append((followed["description"], followed["address"]))
        return [*texts, (near["description"], None)]

    assert set(await public_texts(anonymous.id)) == {("", ""), ("", None)}
    assert (await public_texts(named.id))[0] == ("香港中路12号楼下有一堆暴露垃圾", "香港中路12号")
    for path in (
        f"/open311/v2/requests/{anonymous.id}.json",
        f"/api/citizen/reports/{anonymous.id}",
    ):
        text = (await w.api.get(path, headers=w.bob.headers)).text
        assert "13912345678" not in text and "****5678" not in text, path
    assert (await view(w, carol, anonymous.id)).json()["description"] == words["description"]

    moderated = {"description": "楼道内有违章搭建", "address": "香港中路附近"}
    response = await w.api.put(
        f"/api/admin/cases/{anonymous.id}/public-text",
        json=moderated,
        headers=w.city.operator.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["case"]["publicDescription"] == moderated["description"]
    assert set(await public_texts(anonymous.id)) == {
        (moderated["description"], moderated["address"]),
        (moderated["description"], None),
    }
    assert (await view(w, carol, anonymous.id)).json()["description"] == words["description"]
    audit = await w.api.get(
        "/api/admin/audit",
        params={"action": "case.public_text", "targetId": anonymous.id},
        headers=w.city.operator.headers,
    )
    (entry,) = audit.json()["items"]
    assert entry["before"]["description"] is None
    assert entry["after"]["description"] == moderated["description"]
    staff = await w.api.get(f"/api/admin/cases/{anonymous.id}", headers=w.city.operator.headers)
    assert "moderate" in [event["action"] for event in staff.json()["events"]]

    withdrawn = await w.api.delete(
        f"/api/admin/cases/{anonymous.id}/public-text", headers=w.city.operator.headers
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert set(await public_texts(anonymous.id)) == {("", ""), ("", None)}


async def test_a_moderated_text_replaces_a_named_reporters_words_too(w):
    named = await report(w)
    await operator(w, named.id, "accept")
    response = await w.api.put(
        f"/api/admin/cases/{named.id}/public-text",
        json={"description": "路边有垃圾"},
        headers=w.city.operator.headers,
    )
    assert response.status_code == 200, response.text
    one = (await open311_one(w, named.id))[1]
    assert (one["description"], one["address"]) == ("路边有垃圾", "")


async def test_followers_see_the_public_view_and_staff_photos_but_no_notes(w):
    filed = await report(w)
    await operator(w, filed.id, "accept")  # dispatched to sanitation at once
    assert (await follow(w, w.bob, filed.id)).status_code == 200
    after = await photo(w.api, w.city.handler_hw)
    await ok(w.api, w.city.handler_hw, filed.id, "resolve", {"mediaIds": [after]})
    await ok(w.api, w.city.inspector, filed.id, "check", {"passed": True})
    rated = await w.api.post(
        f"/api/citizen/reports/{filed.id}/rating",
        json={"score": 2, "comment": "太慢了"},
        headers=w.alice.headers,
    )
    assert rated.status_code == 200, rated.text

    mine, theirs = (
        (await view(w, w.alice, filed.id)).json(),
        (await view(w, w.bob, filed.id)).json(),
    )
    assert mine["rating"] == 2 and theirs["rating"] is None
    assert {p["id"] for p in theirs["photos"]} == {filed.photo, after}
    assert await photo_status(w, w.bob, after) == 200
    assert [s["text"] for s in theirs["timeline"]][0] == "已上报"
    assert not any("您" in s["text"] for s in theirs["timeline"]), theirs["timeline"]
    assert mine["timeline"][0]["text"] == "您的上报已提交"


async def test_followers_are_told_by_number_only(w):
    filed = await report(w)
    await operator(w, filed.id, "accept")
    assert (await follow(w, w.bob, filed.id)).status_code == 200
    reason = "举报人王女士反映3号楼住户私自搭建"
    await operator(w, filed.id, "reject", reason=reason)
    await Outbox(providers={}).drain()

    async def rejection(who) -> dict:
        inbox = await w.api.get("/api/citizen/notifications", headers=who.headers)
        (item,) = [i for i in inbox.json()["items"] if i["type"] == "case.rejected"]
        return item

    told, reporter = await rejection(w.bob), await rejection(w.alice)
    assert reason in reporter["body"] and reporter["params"]["note"] == reason
    assert reason not in told["body"] and "note" not in told["params"]
    assert told["params"]["caseId"] == filed.id
