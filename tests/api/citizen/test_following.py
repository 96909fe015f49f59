"""A follower ("me too") finds the cases they follow again, can stop following, is told of
changes as a follower (not as the reporter), and is told why they may not rate."""

import pytest

from notify.worker import Outbox
from tests.api.citizen.test_reports import REPORTS, _act, _report
from tests.cases_city import IN_GRID, build_city
from tests.helpers import assert_problem

INBOX = "/api/citizen/notifications"
NEAR = (IN_GRID[0] + 0.0005, IN_GRID[1])


@pytest.fixture
async def city(api):
    return await build_city(api)


async def _followed_case(api, city, **accept):
    """Alice's accepted report, followed by Bob."""
    alice, bob = await api.citizen(), await api.citizen()
    case_id = (await _report(api, alice, category="C0301")).json()["id"]
    await _act(api, city, case_id, "accept", **accept)
    followed = await api.post(f"{REPORTS}/{case_id}/follow", headers=bob.headers)
    assert followed.status_code == 200, followed.text
    assert followed.json()["following"] is True and followed.json()["mine"] is False
    return alice, bob, case_id


async def _ids(api, who, scope=None):
    params = {"scope": scope} if scope else {}
    response = await api.get(REPORTS, params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return [(item["id"], item["mine"], item["following"]) for item in response.json()["items"]]


async def test_scopes_list_mine_followed_and_both(api, city):
    alice, bob, case_id = await _followed_case(api, city)
    own = (await _report(api, bob, category="C0301")).json()["id"]
    assert await _ids(api, bob) == [(own, True, False)]
    assert await _ids(api, bob, "mine") == [(own, True, False)]
    assert await _ids(api, bob, "following") == [(case_id, False, True)]
    assert await _ids(api, bob, "all") == [(own, True, False), (case_id, False, True)]
    assert await _ids(api, alice, "following") == []
    assert_problem(
        await api.get(REPORTS, params={"scope": "everyone"}, headers=bob.headers),
        400,
        "request.invalid",
    )


async def test_a_followed_case_is_listed_as_the_public_sees_it(api, city):
    alice = await api.citizen()
    bob = await api.citizen()
    case_id = (
        await _report(api, alice, category="C0301", anonymous=True, address="家门口")
    ).json()["id"]
    await _act(api, city, case_id, "accept")
    await api.post(f"{REPORTS}/{case_id}/follow", headers=bob.headers)
    (item,) = (await api.get(REPORTS, params={"scope": "following"}, headers=bob.headers)).json()[
        "items"
    ]
    assert item["address"] == ""  # anonymous: no text in the public view
    (own,) = (await api.get(REPORTS, headers=alice.headers)).json()["items"]
    assert own["address"] == "家门口"


async def test_a_followed_case_that_stops_being_public_drops_out(api, city):
    _, bob, case_id = await _followed_case(api, city)
    await _act(api, city, case_id, "reject", reason="不属于城市管理问题")
    assert await _ids(api, bob, "following") == []


async def test_similar_results_say_which_i_follow(api, city):
    _, bob, case_id = await _followed_case(api, city)
    carol = await api.citizen()
    params = {"lat": NEAR[0], "lon": NEAR[1], "category": "C0301"}
    for who, following in ((bob, True), (carol, False)):
        (item,) = (await api.get(f"{REPORTS}/similar", params=params, headers=who.headers)).json()
        assert item["id"] == case_id and item["following"] is following and not item["mine"]


async def test_unfollow_is_idempotent_and_reveals_nothing(api, city):
    alice, bob, case_id = await _followed_case(api, city)
    for _ in range(2):
        response = await api.delete(f"{REPORTS}/{case_id}/follow", headers=bob.headers)
        assert response.status_code == 204, response.text
    assert await _ids(api, bob, "following") == []
    assert_problem(
        await api.get(f"{REPORTS}/{case_id}", headers=bob.headers), 404, "case.not_found"
    )
    view = (await api.get(f"{REPORTS}/{case_id}", headers=alice.headers)).json()
    assert view["mine"] is True  # the reporter "unfollowing" changes nothing
    assert (
        await api.delete(f"{REPORTS}/{case_id}/follow", headers=alice.headers)
    ).status_code == 204
    # An id that does not exist answers as one that does: no hint either way.
    assert (await api.delete(f"{REPORTS}/k_nosuch/follow", headers=bob.headers)).status_code == 204


async def test_unfollowing_a_merged_case_unfollows_what_it_became(api, city):
    alice, bob, first = await _followed_case(api, city, autoDispatch=False)
    second = (await _report(api, alice, category="C0301")).json()["id"]
    await _act(api, city, second, "accept", autoDispatch=False)
    await _act(api, city, first, "merge", intoCaseId=second)
    assert [i for i, _, _ in await _ids(api, bob, "following")] == [second]
    assert (await api.delete(f"{REPORTS}/{first}/follow", headers=bob.headers)).status_code == 204
    assert await _ids(api, bob, "following") == []


async def _inbox(api, who, locale="zh-CN"):
    await Outbox(providers={}).drain()
    headers = {**who.headers, "Accept-Language": locale}
    return (await api.get(INBOX, params={"limit": 50}, headers=headers)).json()["items"]


async def test_a_follower_is_told_as_a_follower(api, city):
    alice, bob, case_id = await _followed_case(api, city)
    await _act(api, city, case_id, "resolve", note="已修复")
    await _act(api, city, case_id, "close")
    bodies = [item["body"] for item in await _inbox(api, bob)]
    assert bodies and all("您关注的" in body and "您的上报" not in body for body in bodies)
    assert not any("评价" in body for body in bodies)  # a follower cannot rate
    en = [item["body"] for item in await _inbox(api, bob, "en")]
    assert en and all("which you follow" in body for body in en)
    reporter = [item["body"] for item in await _inbox(api, alice)]
    assert any("您的上报" in body for body in reporter)
    assert not any("您关注的" in body for body in reporter)


async def test_a_follower_may_not_rate_or_reopen(api, city):
    alice, bob, case_id = await _followed_case(api, city)
    await _act(api, city, case_id, "resolve", note="已修复")
    await _act(api, city, case_id, "close")
    rating = {"score": 1}
    assert_problem(
        await api.post(f"{REPORTS}/{case_id}/rating", json=rating, headers=bob.headers),
        403,
        "case.reporter_only",
    )
    assert_problem(
        await api.post(
            f"{REPORTS}/{case_id}/reopen", json={"reason": "没修好"}, headers=bob.headers
        ),
        403,
        "case.reporter_only",
    )
    stranger = await api.citizen()
    assert_problem(
        await api.post(f"{REPORTS}/{case_id}/rating", json=rating, headers=stranger.headers),
        404,
        "case.not_found",
    )
    rated = await api.post(f"{REPORTS}/{case_id}/rating", json=rating, headers=alice.headers)
    assert rated.status_code == 200, rated.text
