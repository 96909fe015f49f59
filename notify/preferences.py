"""Per-person channel opt-outs, quiet hours, and WeChat subscribe message grants."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from core import clock
from core.actors import Actor
from core.db import raw
from core.settings import get_settings
from notify.errors import QuietHoursInvalid, UnknownSubscriptionTemplate
from notify.tables import NotificationPreference, WeChatSubscription

Channel = Literal["push", "wechat", "sms"]
CHANNELS: tuple[str, ...] = ("push", "wechat", "sms")


class Preferences(msgspec.Struct, frozen=True, kw_only=True):
    muted: list[str] = []
    quiet_start: str | None = None
    quiet_end: str | None = None

    def mutes(self, channel: str) -> bool:
        return channel in self.muted

    def quiet_until(self, moment: dt.datetime) -> dt.datetime | None:
        """The end of the quiet window ``moment`` falls in (UTC), or None."""
        if not self.quiet_start or not self.quiet_end:
            return None
        local = moment.astimezone(clock.city_zone())
        start, end = _parse(self.quiet_start), _parse(self.quiet_end)
        now = local.time().replace(tzinfo=None)
        today_end = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        if start < end:
            inside, until = start <= now < end, today_end
        elif now >= start:  # overnight window, evening part
            inside, until = True, today_end + dt.timedelta(days=1)
        else:  # overnight window, morning part
            inside, until = now < end, today_end
        return until.astimezone(dt.UTC) if inside else None


def _parse(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise QuietHoursInvalid() from None


def owner_key(kind: str, owner_id: int) -> str:
    return f"{kind}:{owner_id}"


def _of(row: NotificationPreference | dict | None) -> Preferences:
    if row is None:
        return Preferences()
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    muted = [c for c in (get("muted") or "").split(",") if c]
    return Preferences(muted=muted, quiet_start=get("quiet_start"), quiet_end=get("quiet_end"))


async def preferences_of(*, owners: list[tuple[str, int]]) -> dict[tuple[str, int], Preferences]:
    if not owners:
        return {}
    keys = [owner_key(kind, owner_id) for kind, owner_id in owners]
    rows = await NotificationPreference.select().where(NotificationPreference.owner.is_in(keys))
    return {(row["owner_kind"], row["owner_id"]): _of(row) for row in rows}


async def get_preferences(*, actor: Actor) -> Preferences:
    return (await preferences_of(owners=[(actor.kind, actor.id)])).get(
        (actor.kind, actor.id), Preferences()
    )


async def set_preferences(
    *, actor: Actor, muted: list[str], quiet_start: str | None, quiet_end: str | None
) -> Preferences:
    if (quiet_start is None) != (quiet_end is None):
        raise QuietHoursInvalid()
    if quiet_start is not None and _parse(quiet_start) == _parse(quiet_end):
        raise QuietHoursInvalid()
    muted_text = ",".join(c for c in CHANNELS if c in muted)
    await raw(
        "INSERT INTO notification_preference (owner_kind, owner_id, owner, muted, quiet_start, "
        "quiet_end, updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}) ON CONFLICT (owner) DO UPDATE "
        "SET muted = excluded.muted, quiet_start = excluded.quiet_start, "
        "quiet_end = excluded.quiet_end, updated_at = excluded.updated_at",
        actor.kind,
        actor.id,
        owner_key(actor.kind, actor.id),
        muted_text,
        quiet_start,
        quiet_end,
        clock.now(),
    )
    return await get_preferences(actor=actor)


class Subscription(msgspec.Struct, frozen=True):
    template_id: str
    remaining: int  # -1: a standing long-term grant
    long_term: bool = False


# ``remaining`` of a long-term grant: it stands until the user turns it off (WeChat 43101).
STANDING = -1


def case_template() -> str:
    """The template case updates go out with: the long-term one where the mini-program is
    entitled to it (public services), the one-time one otherwise."""
    settings = get_settings()
    return settings.wechat_long_term_template_id or settings.wechat_case_template_id


def subscription_templates() -> list[str]:
    """The subscribe message templates the mini-program should ask the citizen for."""
    return [case_template()]


async def subscriptions(*, actor: Actor) -> list[Subscription]:
    rows = {
        row["template_id"]: row["remaining"]
        for row in await WeChatSubscription.select().where(
            WeChatSubscription.citizen_id == actor.id
        )
    }
    long_term = get_settings().wechat_long_term_template_id
    return [
        Subscription(t, rows.get(t, 0), long_term=t == long_term) for t in subscription_templates()
    ]


async def report_subscriptions(*, actor: Actor, accepted: list[str]) -> list[Subscription]:
    """The mini-program reports what wx.requestSubscribeMessage returned: each "accept" is
    one more message of that template we may send."""
    known = set(subscription_templates())
    for template_id in accepted:
        if template_id not in known:
            raise UnknownSubscriptionTemplate(template_id=template_id)
    long_term = get_settings().wechat_long_term_template_id
    for template_id in accepted:
        # A long-term "allow" stands; a one-time one adds one message.
        grant, add = (STANDING, STANDING) if template_id == long_term else (1, 1)
        await raw(
            "INSERT INTO wechat_subscription (citizen_id, template_id, key, remaining, "
            "updated_at) VALUES ({}, {}, {}, {}, {}) ON CONFLICT (key) DO UPDATE SET "
            "remaining = CASE WHEN {} = -1 THEN -1 ELSE wechat_subscription.remaining + {} END, "
            "updated_at = excluded.updated_at",
            actor.id,
            template_id,
            f"{actor.id}:{template_id}",
            grant,
            clock.now(),
            add,
            add,
        )
    return await subscriptions(actor=actor)


async def take_subscription(*, citizen_id: int, template_id: str) -> bool:
    """Reserve one grant for a message about to be planned (a standing long-term grant is
    not used up); False when none is left."""
    rows = await raw(
        "UPDATE wechat_subscription SET remaining = CASE WHEN remaining > 0 "
        "THEN remaining - 1 ELSE remaining END, updated_at = {} "
        "WHERE key = {} AND remaining <> 0 RETURNING id",
        clock.now(),
        f"{citizen_id}:{template_id}",
    )
    return bool(rows)


async def spend_subscription(*, citizen_id: int, template_id: str) -> None:
    """WeChat answered 43101: whatever we counted, there is no grant left."""
    await raw(
        "UPDATE wechat_subscription SET remaining = 0, updated_at = {} WHERE key = {}",
        clock.now(),
        f"{citizen_id}:{template_id}",
    )
