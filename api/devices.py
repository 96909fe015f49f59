"""Push devices, mounted in both the citizen and the inspector app."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from accounts import devices
from accounts.devices import Vendor
from accounts.tables import Device
from api.idempotent import run_idempotent
from api.params import IdParam
from core.actors import Actor
from core.db import transaction


class DeviceIn(msgspec.Struct, frozen=True, rename="camel"):
    platform: Literal["ios", "android", "harmony", "wechat"]
    token: Annotated[str, msgspec.Meta(min_length=8, max_length=512, pattern=r"^[\x21-\x7e]+$")]
    # Android only: huawei, honor, xiaomi, oppo, vivo, jpush or fcm (the default).
    vendor: Vendor | None = None
    app_version: Annotated[str, msgspec.Meta(max_length=32)] = ""
    locale: Literal["zh-CN", "en"] = "zh-CN"


class DeviceOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    platform: str
    vendor: str
    app_version: str
    locale: str
    created_at: dt.datetime

    @classmethod
    def of(cls, device: Device) -> DeviceOut:
        return cls(
            id=device.id,
            platform=device.platform,
            vendor=device.vendor or ("fcm" if device.platform == "android" else ""),
            app_version=device.app_version,
            locale=device.locale,
            created_at=device.created_at,
        )


class DeviceController(Controller):
    path = "/devices"
    tags = ["devices"]

    @post("/", summary="Register this phone for pushes (idempotent)")
    async def register(
        self, request: Request, actor: NamedDependency[Actor], data: JSONBody[DeviceIn]
    ) -> Response[DeviceOut]:
        async def action() -> DeviceOut:
            device = await devices.register_device(
                actor=actor,
                platform=data.platform,
                vendor=data.vendor,
                token=data.token,
                app_version=data.app_version,
                locale=data.locale,
            )
            return DeviceOut.of(device)

        return await run_idempotent(request, actor, action)

    @get("/", summary="My registered devices")
    async def mine(self, actor: NamedDependency[Actor]) -> list[DeviceOut]:
        return [DeviceOut.of(d) for d in await devices.devices_of(actor=actor)]

    @delete("/{device_id:int}", status_code=HTTP_204_NO_CONTENT, summary="Unregister (on logout)")
    async def remove(self, actor: NamedDependency[Actor], device_id: IdParam) -> None:
        async with transaction():
            await devices.remove_device(actor=actor, device_id=device_id)
