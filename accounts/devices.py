"""Push targets registered by the apps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

from accounts.errors import DeviceNotFound, DeviceVendorInvalid
from accounts.tables import Device
from core import clock
from core.actors import Actor
from core.db import raw

Platform = Literal["ios", "android", "harmony", "wechat"]
# Android push services in mainland China, JPush as an aggregator, and FCM elsewhere.
Vendor = Literal["huawei", "honor", "xiaomi", "oppo", "vivo", "jpush", "fcm"]

# Other packages hear of a token registered (points counts accounts per device, to catch
# farming) without accounts importing them.
DeviceListener = Callable[[Actor, str], Awaitable[None]]
_listeners: list[DeviceListener] = []


def on_device_registered(listener: DeviceListener) -> DeviceListener:
    """Call ``listener(actor, platform_token)`` after every registration, in its transaction."""
    _listeners.append(listener)
    return listener


async def register_device(
    *,
    actor: Actor,
    platform: Platform,
    token: str,
    app_version: str,
    locale: str,
    vendor: Vendor | None = None,
) -> Device:
    """An Android phone says whose push service its token is from (an app without vendor
    support is an FCM one); iOS and HarmonyOS have one service each, so a vendor there is
    a mistake the app should hear about."""
    if vendor is not None and platform != "android":
        raise DeviceVendorInvalid(platform=platform)
    vendor_value = (vendor or "fcm") if platform == "android" else ""
    now = clock.now()
    # One upsert: the same token registered twice, or by two apps at once, stays one row.
    rows = await raw(
        "INSERT INTO device (owner_kind, owner_id, platform, vendor, platform_token, token, "
        "app_version, locale, created_at, last_seen_at) "
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}) "
        "ON CONFLICT (platform_token) DO UPDATE SET owner_kind = excluded.owner_kind, "
        "owner_id = excluded.owner_id, vendor = excluded.vendor, "
        "app_version = excluded.app_version, "
        "locale = excluded.locale, last_seen_at = excluded.last_seen_at RETURNING id",
        actor.kind,
        actor.id,
        platform,
        vendor_value,
        f"{platform}:{token}",
        token,
        app_version,
        locale,
        now,
        now,
    )
    for listener in _listeners:
        await listener(actor, f"{platform}:{token}")
    return await Device.objects().where(Device.id == rows[0]["id"]).first()


async def remove_device(*, actor: Actor, device_id: int) -> None:
    deleted = (
        await Device.delete()
        .where(
            (Device.id == device_id)
            & (Device.owner_kind == actor.kind)
            & (Device.owner_id == actor.id)
        )
        .returning(Device.id)
    )
    if not deleted:
        raise DeviceNotFound()


async def devices_of(*, actor: Actor) -> list[Device]:
    return (
        await Device.objects()
        .where((Device.owner_kind == actor.kind) & (Device.owner_id == actor.id))
        .order_by(Device.id)
    )


async def remove_device_token(*, platform: Platform, token: str) -> int:
    """The push provider says this token is gone (app uninstalled, token rotated): forget it
    whoever owns it. Returns how many devices were removed (0 or 1)."""
    deleted = (
        await Device.delete()
        .where(Device.platform_token == f"{platform}:{token}")
        .returning(Device.id)
    )
    return len(deleted)


async def devices_of_owners(*, owners: list[tuple[str, int]]) -> list[Device]:
    """Every device of these (owner_kind, owner_id) pairs, for the notification fan-out."""
    if not owners:
        return []
    by_kind: dict[str, list[int]] = {}
    for kind, owner_id in owners:
        by_kind.setdefault(kind, []).append(owner_id)
    where = None
    for kind, ids in by_kind.items():
        clause = (Device.owner_kind == kind) & Device.owner_id.is_in(ids)
        where = clause if where is None else where | clause
    return await Device.objects().where(where).order_by(Device.id)


async def wechat_openids(*, citizen_ids: list[int]) -> dict[int, str]:
    """Mini-program openids (subscribe messages are addressed to them, not to a device)."""
    from accounts.tables import Citizen

    if not citizen_ids:
        return {}
    rows = await Citizen.select(Citizen.id, Citizen.wechat_openid).where(
        Citizen.id.is_in(citizen_ids)
        & Citizen.wechat_openid.is_not_null()
        & (Citizen.disabled == False)  # noqa: E712 - a Piccolo expression
    )
    return {row["id"]: row["wechat_openid"] for row in rows}


async def phone_only_citizens(*, citizen_ids: list[int]) -> dict[int, str]:
    """Citizens reachable only by SMS: a phone, no app device and no WeChat (hotline and
    phone-only reporters). Citizen id -> E.164 phone."""
    from accounts.tables import Citizen

    if not citizen_ids:
        return {}
    rows = await Citizen.select(Citizen.id, Citizen.phone).where(
        Citizen.id.is_in(citizen_ids)
        & Citizen.phone.is_not_null()
        & Citizen.wechat_openid.is_null()
        & (Citizen.disabled == False)  # noqa: E712 - a Piccolo expression
    )
    with_app = {
        row["owner_id"]
        for row in await Device.select(Device.owner_id).where(
            (Device.owner_kind == "citizen") & Device.owner_id.is_in(citizen_ids)
        )
    }
    return {row["id"]: row["phone"] for row in rows if row["id"] not in with_app}


async def citizen_phones(*, citizen_ids: list[int]) -> dict[int, str]:
    """Phones of the active citizens among ``citizen_ids`` that have one."""
    from accounts.tables import Citizen

    if not citizen_ids:
        return {}
    rows = await Citizen.select(Citizen.id, Citizen.phone).where(
        Citizen.id.is_in(citizen_ids) & Citizen.phone.is_not_null() & (Citizen.disabled == False)  # noqa: E712 - a Piccolo expression
    )
    return {row["id"]: row["phone"] for row in rows}


async def staff_to_page(*, staff_ids: list[int]) -> dict[int, str]:
    """The staff among ``staff_ids`` an urgent case is paged to by SMS, and their phones.
    Today every one with a phone and an active account; the duty roster will narrow this to
    the staff on duty, here and nowhere else."""
    from accounts.tables import Staff

    if not staff_ids:
        return {}
    rows = await Staff.select(Staff.id, Staff.phone).where(
        Staff.id.is_in(staff_ids) & Staff.phone.is_not_null() & (Staff.user.active == True)  # noqa: E712 - a Piccolo expression
    )
    return {row["id"]: row["phone"] for row in rows}
