"""WeChat subscribe messages: grants reported by the mini-program, the stable_token cached in
the database for every process, 43101, thing values cut to 20 characters."""

import datetime as dt

import httpx
import msgspec

from core import clock
from core.settings import get_settings
from notify.providers.wechat import TOKEN_NAME
from notify.tables import NotificationDelivery, ProviderToken, WeChatSubscription
from tests.notify.conftest import build_outbox, citizen_id, notify, notify_settings

SUBSCRIPTIONS = "/api/citizen/notifications/subscriptions"
TEMPLATE = get_settings().wechat_case_template_id


def _fake(api, path, method="post", **body):
    return getattr(httpx, method)(
        f"{api.wechat_url}/__fake__/{path}", **({"json": body} if method == "post" else {})
    ).json()


async def _subscribed_citizen(api, openid="openid-wx", grants=1, report=None):
    session = await api.citizen(openid)
    _fake(api, "subscribe", openid=openid, templateId=TEMPLATE, count=grants)
    response = await api.post(
        SUBSCRIPTIONS, headers=session.headers, json={"accepted": [TEMPLATE] * (report or grants)}
    )
    assert response.status_code == 201, response.text
    return session, await citizen_id(openid)


async def test_granted_subscription_is_reported_and_spent_on_one_message(api, outbox):
    session, cid = await _subscribed_citizen(api)
    body = (await api.get(SUBSCRIPTIONS, headers=session.headers)).json()
    assert body == {
        "templateIds": [TEMPLATE],
        "subscriptions": [{"templateId": TEMPLATE, "remaining": 1, "longTerm": False}],
    }
    note = "这里描述的问题不属于城市管理范围，已转交12345热线😀处理"
    await notify(cid, "case.rejected", note=note)
    await notify(cid, "case.closed")  # no grant left: inbox only
    await outbox.drain()
    [sent] = _fake(api, "sent", method="get")
    assert sent["touser"] == "openid-wx" and sent["template_id"] == TEMPLATE
    assert sent["page"] == "pages/case/detail?id=c_test"
    thing = sent["data"]["thing3"]["value"]
    assert len(thing) == 20 and thing.endswith("…")
    assert sent["data"]["character_string1"]["value"] == "20261128-0001"
    assert sent["data"]["phrase2"]["value"] == "未受理"
    assert await NotificationDelivery.count() == 1
    body = (await api.get(SUBSCRIPTIONS, headers=session.headers)).json()
    assert body["subscriptions"][0]["remaining"] == 0


async def test_43101_marks_the_subscription_spent(api, outbox):
    # The citizen reports more grants than WeChat recorded (or revoked them in settings).
    _, cid = await _subscribed_citizen(api, grants=1, report=3)
    await notify(cid)
    await notify(cid, "case.dispatched")
    await outbox.drain()
    statuses = sorted(d.status for d in await NotificationDelivery.objects())
    assert statuses == ["refused", "sent"]
    row = await WeChatSubscription.objects().first()
    assert row.remaining == 0
    await notify(cid, "case.closed")
    await outbox.drain()
    assert await NotificationDelivery.count() == 2


async def test_unknown_template_is_refused(api):
    session = await api.citizen()
    response = await api.post(
        SUBSCRIPTIONS, headers=session.headers, json={"accepted": ["someone-elses-template"]}
    )
    assert response.status_code == 422 and response.json()["code"] == "notify.unknown_template"


async def test_access_token_is_cached_in_the_database_and_shared(api, outbox):
    _, cid = await _subscribed_citizen(api, grants=3)
    await notify(cid)
    await outbox.drain()
    # Another process: its own provider instance, the same database.
    other = build_outbox(notify_settings())
    try:
        await notify(cid, "case.dispatched")
        await other.drain()
    finally:
        await other.aclose()
    calls = _fake(api, "token-calls", method="get")
    assert calls["calls"] == 1
    stored = await ProviderToken.objects().where(ProviderToken.name == TOKEN_NAME).first()
    assert stored.token == calls["current"]
    # Ten minutes before it expires, the next send refreshes it.
    clock.travel(dt.timedelta(seconds=7200 - 500))
    await notify(cid, "case.closed")
    await outbox.drain()
    assert _fake(api, "token-calls", method="get")["calls"] == 2
    assert len(_fake(api, "sent", method="get")) == 3


async def test_revoked_token_is_refreshed_once_and_the_message_sent(api, outbox):
    _, cid = await _subscribed_citizen(api)
    await notify(cid)
    await outbox.fan_out()
    await outbox.providers["wechat"].access_token()
    _fake(api, "expire-tokens")
    await outbox.drain()
    assert len(_fake(api, "sent", method="get")) == 1
    assert _fake(api, "token-calls", method="get")["calls"] == 2


async def test_busy_5xx_and_timeouts_are_retried(api, outbox):
    _, cid = await _subscribed_citizen(api)
    _fake(api, "send-fail", errcode=-1)
    _fake(api, "send-fail", errcode=502)
    await notify(cid)
    await outbox.drain()
    delivery = await NotificationDelivery.objects().first()
    assert delivery.status == "pending" and "-1" in delivery.last_error
    clock.travel(dt.timedelta(minutes=1))
    await outbox.drain()
    assert "502" in (await NotificationDelivery.objects().first()).last_error
    _fake(api, "send-delay", seconds=2.5)
    clock.travel(dt.timedelta(minutes=1))
    await outbox.drain()
    assert (await NotificationDelivery.objects().first()).last_error == "timeout"
    _fake(api, "send-delay", seconds=0)
    clock.travel(dt.timedelta(minutes=2))
    await outbox.drain()
    delivery = await NotificationDelivery.objects().first()
    assert delivery.status == "sent"
    # The timed-out call was answered late by the fake: WeChat itself may deliver such a
    # message twice; our side sent it at most twice.
    assert 1 <= len(_fake(api, "sent", method="get")) <= 2


async def test_muted_wechat_keeps_the_grant(api, outbox):
    session, cid = await _subscribed_citizen(api)
    response = await api.put(
        "/api/citizen/notifications/preferences",
        headers=session.headers,
        json={"muted": ["wechat"]},
    )
    assert response.status_code == 200, response.text
    await notify(cid)
    await outbox.drain()
    assert await NotificationDelivery.count() == 0
    assert (await WeChatSubscription.objects().first()).remaining == 1


LONG_TERM = "case-progress-long-term"


def _long_term(monkeypatch):
    """The mini-program is entitled to long-term subscriptions (public services)."""
    from notify import preferences

    settings = msgspec.structs.replace(get_settings(), wechat_long_term_template_id=LONG_TERM)
    monkeypatch.setattr(preferences, "get_settings", lambda: settings)


async def test_a_long_term_grant_covers_every_message_of_a_case(api, outbox, monkeypatch):
    _long_term(monkeypatch)
    session = await api.citizen("openid-long")
    _fake(api, "subscribe", openid="openid-long", templateId=LONG_TERM, longTerm=True)
    response = await api.post(
        SUBSCRIPTIONS, headers=session.headers, json={"accepted": [LONG_TERM]}
    )
    assert response.status_code == 201, response.text
    assert response.json() == {
        "templateIds": [LONG_TERM],
        "subscriptions": [{"templateId": LONG_TERM, "remaining": -1, "longTerm": True}],
    }
    cid = await citizen_id("openid-long")
    for template in ("case.accepted", "case.dispatched", "case.resolved", "case.closed"):
        await notify(cid, template)
    await outbox.drain()
    sent = _fake(api, "received", method="get")
    assert [s["template_id"] for s in sent] == [LONG_TERM] * 4
    row = await WeChatSubscription.objects().first()
    assert row.remaining == -1  # still standing


async def test_a_long_term_grant_turned_off_stops_at_43101(api, outbox, monkeypatch):
    _long_term(monkeypatch)
    session = await api.citizen("openid-off")
    await api.post(SUBSCRIPTIONS, headers=session.headers, json={"accepted": [LONG_TERM]})
    cid = await citizen_id("openid-off")
    await notify(cid)  # WeChat has no grant: the citizen turned it off in settings
    await outbox.drain()
    assert [d.status for d in await NotificationDelivery.objects()] == ["refused"]
    await notify(cid, "case.dispatched")
    await outbox.drain()
    assert await NotificationDelivery.count() == 1  # inbox only from now on


async def test_an_urgent_message_without_a_grant_is_texted(api, apns_fake, fcm_fake):
    """WeChat carries what its grants allow; an urgent case update it cannot carry goes to the
    citizen's phone by SMS at once (at night too), a routine one stays in the inbox."""
    from accounts.sms import sms_sender_from_settings
    from notify.providers.sms import SmsProvider
    from notify.worker import Outbox
    from tests.helpers import refreshed
    from tests.sms_support import at_city_hour, received, reset, vendor_values

    reset()
    settings = notify_settings(
        **vendor_values("aliyun"), notify_channels="wechat,sms", sms_quiet_hours="22:00-07:00"
    )
    box = build_outbox(settings)
    box = Outbox(
        providers={
            "wechat": box.providers["wechat"],
            "sms": SmsProvider(sender=sms_sender_from_settings(settings), settings=settings),
        },
        settings=settings,
    )
    session, cid = await _subscribed_citizen(api, openid="openid-urgent", grants=1)
    clock.travel(dt.timedelta(minutes=2))
    code = await api.sms_code("13800138177", headers=session.headers)
    linked = await api.post(
        "/api/citizen/auth/sms/verify",
        json={"phone": "13800138177", "code": code},
        headers=session.headers,
    )
    assert linked.status_code == 201, linked.text
    at_city_hour(23)
    await notify(cid, "case.accepted", urgent=True)  # the grant carries it
    await notify(cid, "case.dispatched", urgent=True)  # no grant left: a text
    await notify(cid, "case.resolved")  # not urgent: the inbox is enough
    await box.drain()
    await box.aclose()
    texts = received("aliyun")
    assert [(t["phone"], t["params"]["status"]) for t in texts] == [("13800138177", "处理中")]
    assert len(_fake(api, "sent", method="get")) == 1
    session = await refreshed(api.client, session)  # the clock moved past its access token
    inbox = await api.get("/api/citizen/notifications", headers=session.headers)
    assert len(inbox.json()["items"]) == 3
    reset()
