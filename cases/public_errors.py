"""Errors of the public side: the public map of cases, watch areas, the satisfaction survey."""

from core.errors import DomainError
from core.i18n import Msg


class BadMapQuery(DomainError):
    code = "public.bad_query"
    status = 400
    title = Msg(zh="地图查询参数无效", en="Invalid map query")
    message = Msg(zh="参数 {field} 无效：{reason}", en="Invalid {field}: {reason}")

    def extra(self):
        return {"field": self.params.get("field")}


class MapAreaTooLarge(DomainError):
    code = "public.bbox_too_large"
    status = 400
    title = Msg(zh="范围过大", en="Area too large")
    message = Msg(
        zh="此缩放级别下范围过大，请缩小范围或降低缩放级别",
        en="The bounding box is too large for this zoom: zoom out or send a smaller box",
    )


class WatchAreaInvalid(DomainError):
    code = "watch.invalid_area"
    status = 422
    title = Msg(zh="关注区域无效", en="Invalid watch area")
    message = Msg(zh="关注区域无效：{reason}", en="Invalid watch area: {reason}")


class WatchAreaTooLarge(DomainError):
    code = "watch.area_too_large"
    status = 422
    title = Msg(zh="关注区域过大", en="Watch area too large")
    message = Msg(
        zh="关注区域不能超过 {limit} 平方公里",
        en="A watch area may cover at most {limit} km²",
    )

    def extra(self):
        return {"limitKm2": self.params.get("limit")}


class TooManyWatchAreas(DomainError):
    code = "watch.too_many"
    status = 409
    title = Msg(zh="关注区域已达上限", en="Too many watch areas")
    message = Msg(zh="最多可设置 {limit} 个关注区域", en="You may keep at most {limit} watch areas")

    def extra(self):
        return {"limit": self.params.get("limit")}


class WatchAreaNotFound(DomainError):
    code = "watch.not_found"
    status = 404
    title = Msg(zh="关注区域不存在", en="Watch area not found")
    message = Msg(zh="关注区域不存在", en="No such watch area")


class SurveyNotFound(DomainError):
    code = "survey.not_found"
    status = 404
    title = Msg(zh="暂无回访", en="No survey")
    message = Msg(
        zh="案件结案后才会发出满意度回访",
        en="The satisfaction survey is sent once the case is closed",
    )


class SurveyAnswered(DomainError):
    code = "survey.already_answered"
    status = 409
    title = Msg(zh="回访已填写", en="Survey already answered")
    message = Msg(zh="每个案件的回访只能填写一次", en="A case's survey can be answered once")
