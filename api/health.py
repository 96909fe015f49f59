from __future__ import annotations

import msgspec
from litestar import Controller, get

from core.db import database_label, raw
from core.errors import ServiceUnavailable


class Health(msgspec.Struct, frozen=True, omit_defaults=True):
    status: str
    database: str | None = None


class HealthController(Controller):
    path = ""
    tags = ["operations"]
    include_in_schema = True

    @get("/healthz", summary="The process is alive")
    async def alive(self) -> Health:
        return Health(status="ok")

    @get("/readyz", summary="The database answers")
    async def ready(self) -> Health:
        try:
            await raw("SELECT 1")
        except Exception as exc:  # any failure to reach the database means not ready
            raise ServiceUnavailable() from exc
        return Health(status="ok", database=database_label().split(":")[0])
