"""Errors of the places domain."""

from __future__ import annotations

from typing import Any, ClassVar

from core.errors import DomainError, ServiceUnavailable
from core.i18n import Msg


class PlaceNotFound(DomainError):
    code = "place.not_found"
    status = 404
    title = Msg(zh="地点不存在", en="Place not found")
    message = Msg(zh="地点 {place_id} 不存在", en="Place {place_id} does not exist")


class UnknownPlaceKind(DomainError):
    code = "place.unknown_kind"
    status = 422
    title = Msg(zh="地点类型不存在", en="Unknown place kind")
    message = Msg(zh="地点类型 {kind} 不存在", en="Place kind {kind} does not exist")


class InvalidPlace(DomainError):
    code = "place.invalid"
    status = 422
    title = Msg(zh="地点信息无效", en="Invalid place")
    message = Msg(zh="地点信息无效：{reason}", en="Invalid place: {reason}")


class InvalidHours(DomainError):
    code = "place.invalid_hours"
    status = 422
    title = Msg(zh="营业时间格式无效", en="Invalid opening hours")
    message = Msg(zh="营业时间格式无效：{reason}", en="Invalid opening hours: {reason}")


class KindCodeTaken(DomainError):
    code = "place.kind_taken"
    status = 409
    title = Msg(zh="地点类型已存在", en="Place kind already exists")
    message = Msg(zh="地点类型 {kind} 已存在", en="Place kind {kind} already exists")


class NearbyTooFar(DomainError):
    code = "place.radius_too_large"
    status = 422
    title = Msg(zh="搜索半径过大", en="Radius too large")
    message = Msg(zh="搜索半径最大为 {max} 米", en="The radius is at most {max} m")


class FeedNotYours(DomainError):
    code = "place.feed_not_yours"
    status = 403
    title = Msg(zh="无权上报该停车场", en="Not this key's car park")
    message = Msg(
        zh="该接入方未绑定停车场 {place_id}，不能上报其车位",
        en="This API key is not bound to car park {place_id} and cannot report its spaces",
    )


class InvalidFeedClient(DomainError):
    code = "place.feed_client_invalid"
    status = 422
    title = Msg(zh="车位上报方无效", en="Invalid parking feed")
    message = Msg(
        zh="接入方 {client_id} 不能上报车位：{reason}",
        en="API client {client_id} cannot report parking spaces: {reason}",
    )


class NotParking(DomainError):
    code = "place.not_parking"
    status = 422
    title = Msg(zh="该地点没有车位信息", en="This place has no parking spaces")
    message = Msg(zh="地点 {place_id} 不是停车场", en="Place {place_id} is not a parking place")


class ImportRejected(DomainError):
    """The whole file is refused; ``rows`` lists every bad row with its line and reason."""

    code = "import.rejected"
    status = 422
    title = Msg(zh="导入失败，未导入任何数据", en="Import rejected, nothing was imported")
    message = Msg(
        zh="{count} 行有误，请修正后重新导入",
        en="{count} rows are invalid; fix them and import again",
    )

    def __init__(self, rows: list[dict[str, Any]], total: int | None = None) -> None:
        super().__init__(count=total if total is not None else len(rows))
        self.rows = rows

    def extra(self) -> dict[str, Any]:
        return {"rows": self.rows}


class ImportMalformed(DomainError):
    code = "import.malformed"
    status = 422
    title = Msg(zh="导入文件无法读取", en="Import file cannot be read")
    message = Msg(zh="导入文件无法读取：{reason}", en="The import file cannot be read: {reason}")


class NearbyLimitTooLarge(DomainError):
    code = "place.limit_too_large"
    status = 422
    title = Msg(zh="返回数量过多", en="Limit too large")
    message = Msg(zh="每次最多返回 {max} 个地点", en="At most {max} places per request")


class IndexWarming(ServiceUnavailable):
    """The process started moments ago and is still loading the places (/readyz says so):
    another replica answers, or this one within seconds."""

    code = "places.index_warming"
    title = Msg(zh="服务正在启动", en="Starting up")
    message = Msg(
        zh="附近地点正在加载，请稍后重试", en="Nearby places are loading; try again shortly"
    )
    retry_after_seconds: ClassVar[int] = 1
