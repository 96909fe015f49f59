"""A citizen's PIPL rights: a copy of their data, closing their account, and their answer
to the app's location notice. The routes sit under /me beside the profile."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.response import Stream
from litestar.status_codes import HTTP_204_NO_CONTENT

from accounts import privacy as accounts_privacy
from core.actors import Actor
from core.db import transaction
from privacy import service as privacy


class LocationConsentIn(msgspec.Struct, frozen=True, rename="camel"):
    # The version of the notice text the app showed, e.g. "2026-11" or "v3".
    version: Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[\w.\-]+$")]
    granted: bool


class LocationConsent(msgspec.Struct, frozen=True, rename="camel"):
    version: str
    granted: bool
    recorded_at: dt.datetime


class LocationConsentView(msgspec.Struct, frozen=True, rename="camel"):
    consent: LocationConsent | None  # the latest answer; None: never asked


class CitizenPrivacyController(Controller):
    path = "/me"
    tags = ["citizen profile"]

    @get(
        "/export",
        summary="Download my data (zip of JSON files and my photos)",
        media_type="application/zip",
        opt={"rate_limited": True},  # CITYOPS_PRIVACY_EXPORTS_PER_DAY
    )
    async def export(self, actor: NamedDependency[Actor]) -> Stream:
        filename, chunks = await privacy.export_archive(actor=actor)
        return Stream(
            chunks,
            media_type="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )

    @delete("/", status_code=HTTP_204_NO_CONTENT, summary="Close my account (注销)")
    async def erase(self, actor: NamedDependency[Actor]) -> None:
        await privacy.erase_citizen(actor=actor)

    @get("/location-consent", summary="My latest answer to the location notice")
    async def consent(self, actor: NamedDependency[Actor]) -> LocationConsentView:
        found = await accounts_privacy.location_consent(actor=actor)
        return LocationConsentView(consent=LocationConsent(**found) if found else None)

    @put("/location-consent", summary="Record my answer to the location notice")
    async def record_consent(
        self, actor: NamedDependency[Actor], data: JSONBody[LocationConsentIn]
    ) -> LocationConsent:
        async with transaction():
            row = await accounts_privacy.record_location_consent(
                actor=actor, version=data.version, granted=data.granted
            )
        return LocationConsent(**row)
