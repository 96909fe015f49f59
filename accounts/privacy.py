"""A citizen's account under PIPL: what it holds (for their export), closing it (注销), and
their answers to the location notice. Only this package's tables; privacy.service runs
the other packages' parts in the same transaction."""

from __future__ import annotations

from accounts import errors
from accounts.standing import forget_standing
from accounts.tables import Citizen, Device, LocationConsent, RefreshToken, SmsChallenge
from core import clock
from core.actors import Actor


async def profile_export(*, citizen_id: int) -> dict:
    citizen = await Citizen.objects().where(Citizen.id == citizen_id).first()
    if citizen is None or citizen.disabled:
        raise errors.AccountDisabled()
    consents = (
        await LocationConsent.select(
            LocationConsent.version, LocationConsent.granted, LocationConsent.recorded_at
        )
        .where(LocationConsent.citizen_id == citizen_id)
        .order_by(LocationConsent.id)
    )
    return {
        "id": citizen.public_id,
        "nickname": citizen.nickname,
        "phone": citizen.phone,
        "wechatLinked": citizen.wechat_openid is not None,
        "locale": citizen.locale,
        "createdAt": clock.iso_utc(citizen.created_at),
        "lastSeenAt": clock.iso_utc(citizen.last_seen_at),
        "locationConsents": [
            {
                "version": row["version"],
                "granted": row["granted"],
                "recordedAt": clock.iso_utc(row["recorded_at"]),
            }
            for row in consents
        ],
    }


async def devices_export(*, citizen_id: int) -> list[dict]:
    rows = await Device.select(
        Device.platform, Device.vendor, Device.app_version, Device.created_at, Device.last_seen_at
    ).where((Device.owner_kind == "citizen") & (Device.owner_id == citizen_id))
    return [
        {
            "platform": row["platform"],
            "vendor": row["vendor"],
            "appVersion": row["app_version"],
            "createdAt": clock.iso_utc(row["created_at"]),
            "lastSeenAt": clock.iso_utc(row["last_seen_at"]),
        }
        for row in rows
    ]


async def erase_account(*, citizen_id: int) -> Citizen | None:
    """Empty the account of personal data, end its sessions and retire its devices; None
    when it was erased already (a retry, or a second request that lost the race: the
    conditional update lets exactly one through). The id stays for the ledger's sums."""
    before = await Citizen.objects().where(Citizen.id == citizen_id).first()
    now = clock.now()
    taken = (
        await Citizen.update(
            {
                Citizen.phone: None,
                Citizen.wechat_openid: None,
                Citizen.wechat_unionid: None,
                Citizen.wechat_session_key: None,
                Citizen.nickname: "",
                Citizen.disabled: True,
                Citizen.erased_at: now,
            }
        )
        .where((Citizen.id == citizen_id) & Citizen.erased_at.is_null())
        .returning(Citizen.id)
    )
    if not taken or before is None:
        return None
    await RefreshToken.update({RefreshToken.revoked_at: now}).where(
        (RefreshToken.audience == "citizen")
        & (RefreshToken.subject_id == citizen_id)
        & RefreshToken.revoked_at.is_null()
    )
    await Device.delete().where((Device.owner_kind == "citizen") & (Device.owner_id == citizen_id))
    await LocationConsent.delete().where(LocationConsent.citizen_id == citizen_id)
    if before.phone:
        await SmsChallenge.delete().where(SmsChallenge.phone == before.phone)
    forget_standing()  # this process refuses the remaining access tokens at once
    return before


async def record_location_consent(*, actor: Actor, version: str, granted: bool) -> dict:
    row = LocationConsent(
        citizen_id=actor.id, version=version, granted=granted, recorded_at=clock.now()
    )
    await row.save()
    return {"version": version, "granted": granted, "recorded_at": row.recorded_at}


async def location_consent(*, actor: Actor) -> dict | None:
    row = (
        await LocationConsent.select(
            LocationConsent.version, LocationConsent.granted, LocationConsent.recorded_at
        )
        .where(LocationConsent.citizen_id == actor.id)
        .order_by(LocationConsent.id, ascending=False)
        .first()
    )
    if row is None:
        return None
    return {
        "version": row["version"],
        "granted": row["granted"],
        "recorded_at": clock.as_utc(row["recorded_at"]),
    }
