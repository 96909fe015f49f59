"""Errors of the org domain: geography, grids, categories, SLA, dispatch rules."""

from __future__ import annotations

from typing import Any

from core.errors import DomainError
from core.i18n import Msg


class InvalidCoordinates(DomainError):
    code = "geo.invalid_coordinates"
    status = 422
    title = Msg(zh="坐标无效", en="Invalid coordinates")
    message = Msg(
        zh="纬度须在 -90 到 90 之间，经度须在 -180 到 180 之间",
        en="Latitude must lie in [-90, 90] and longitude in [-180, 180]",
    )


class UnknownCoordSys(DomainError):
    code = "geo.unknown_coord_sys"
    status = 422
    title = Msg(zh="坐标系不支持", en="Unsupported coordinate system")
    message = Msg(zh="坐标系须为 wgs84、gcj02 或 bd09", en="coordSys must be wgs84, gcj02 or bd09")


class UnknownCategory(DomainError):
    code = "category.unknown"
    status = 422
    title = Msg(zh="问题类别不存在", en="Unknown category")
    message = Msg(
        zh="类别 {code} 不存在或已停用", en="Category {code} does not exist or is no longer used"
    )


class InvalidCategory(DomainError):
    code = "category.invalid"
    status = 422
    title = Msg(zh="类别定义无效", en="Invalid category")
    message = Msg(zh="类别定义无效：{reason}", en="Invalid category: {reason}")


class CategoryCodeTaken(DomainError):
    code = "category.code_taken"
    status = 409
    title = Msg(zh="类别编码已存在", en="Category code already exists")
    message = Msg(zh="类别编码 {code} 已存在", en="Category code {code} already exists")


class InvalidStageLimit(DomainError):
    code = "category.invalid_stage_limit"
    status = 422
    title = Msg(zh="环节时限无效", en="Invalid stage time limit")
    message = Msg(
        zh="{stage} 环节的时限无效：{reason}",
        en="The time limit of stage {stage} is invalid: {reason}",
    )

    def extra(self) -> dict[str, Any]:
        return {"stage": self.params.get("stage")}


class InvalidConditions(DomainError):
    code = "category.invalid_conditions"
    status = 422
    title = Msg(zh="立案或结案条件无效", en="Invalid filing or closing conditions")
    message = Msg(
        zh="{field} 最多 {limit} 个字符", en="{field} may hold at most {limit} characters"
    )

    def extra(self) -> dict[str, Any]:
        return {"field": self.params.get("field")}


class InvalidPriority(DomainError):
    code = "sla.invalid_priority"
    status = 422
    title = Msg(zh="优先级无效", en="Invalid priority")
    message = Msg(
        zh="优先级须为 1（特急）到 4（较缓）", en="Priority must be 1 (urgent) to 4 (low)"
    )


class InvalidSlaLimit(DomainError):
    code = "sla.invalid_limit"
    status = 422
    title = Msg(zh="处置时限无效", en="Invalid time limit")
    message = Msg(
        zh="时限须为正数，单位为 hours、working_hours 或 working_days",
        en="The limit must be positive, in hours, working_hours or working_days",
    )


class UnknownOrgUnit(DomainError):
    code = "org.unknown_unit"
    status = 422
    title = Msg(zh="单位不存在", en="Unknown organisation unit")
    message = Msg(
        zh="单位 {unit_id} 不存在或已停用", en="Unit {unit_id} does not exist or is inactive"
    )


class InvalidOrgUnit(DomainError):
    code = "org.invalid_unit"
    status = 422
    title = Msg(zh="单位定义无效", en="Invalid organisation unit")
    message = Msg(zh="单位定义无效：{reason}", en="Invalid organisation unit: {reason}")


class OrgUnitCodeTaken(DomainError):
    code = "org.code_taken"
    status = 409
    title = Msg(zh="单位编码已存在", en="Unit code already exists")
    message = Msg(zh="单位编码 {code} 已存在", en="Unit code {code} already exists")


class UnknownGrid(DomainError):
    code = "grid.unknown"
    status = 422
    title = Msg(zh="网格不存在", en="Unknown grid")
    message = Msg(zh="网格 {grid} 不存在", en="Grid {grid} does not exist")


class InvalidGrid(DomainError):
    code = "grid.invalid"
    status = 422
    title = Msg(zh="网格定义无效", en="Invalid grid")
    message = Msg(zh="网格定义无效：{reason}", en="Invalid grid: {reason}")


class InvalidPolygon(DomainError):
    code = "grid.invalid_polygon"
    status = 422
    title = Msg(zh="网格边界无效", en="Invalid grid polygon")
    message = Msg(zh="网格边界无效：{reason}", en="Invalid grid polygon: {reason}")


class GridCodeTaken(DomainError):
    code = "grid.code_taken"
    status = 409
    title = Msg(zh="网格编码已存在", en="Grid code already exists")
    message = Msg(zh="网格编码 {code} 已存在", en="Grid code {code} already exists")


class InvalidDispatchRule(DomainError):
    code = "dispatch.invalid_rule"
    status = 422
    title = Msg(zh="派遣规则无效", en="Invalid dispatch rule")
    message = Msg(zh="派遣规则无效：{reason}", en="Invalid dispatch rule: {reason}")


class DispatchRuleExists(DomainError):
    code = "dispatch.rule_exists"
    status = 409
    title = Msg(zh="派遣规则已存在", en="Dispatch rule already exists")
    message = Msg(
        zh="相同类别和区域的派遣规则已存在", en="A rule for this category and area already exists"
    )


class GridImportInvalid(DomainError):
    code = "grid.import_invalid"
    status = 422
    title = Msg(zh="网格导入数据无效", en="Invalid grid import")
    message = Msg(
        zh="{count} 个要素有误，未导入任何网格",
        en="{count} feature(s) are invalid; nothing was imported",
    )

    def extra(self) -> dict[str, Any]:
        return {"errors": self.params.get("errors", [])}


class InvalidDutyShift(DomainError):
    code = "duty.invalid"
    status = 422
    title = Msg(zh="值班安排无效", en="Invalid duty shift")
    message = Msg(zh="值班安排无效：{reason}", en="Invalid duty shift: {reason}")


class UnknownDutyShift(DomainError):
    code = "duty.not_found"
    status = 404
    title = Msg(zh="值班安排不存在", en="Unknown duty shift")
    message = Msg(zh="值班安排 {shift_id} 不存在", en="There is no duty shift {shift_id}")


class CalendarImportEmpty(DomainError):
    code = "calendar.import_empty"
    status = 422
    title = Msg(zh="日历导入文件为空", en="Empty calendar import")
    message = Msg(
        zh="文件中没有日期，未导入任何内容", en="The file lists no days; nothing imported"
    )


class CalendarImportTooManyRows(DomainError):
    code = "calendar.import_too_many_rows"
    status = 422
    title = Msg(zh="日历导入行数过多", en="Too many rows in the calendar import")
    message = Msg(
        zh="文件有 {count} 行，最多 {limit} 行；未导入任何内容",
        en="The file has {count} rows, at most {limit}; nothing imported",
    )


class CalendarImportMalformed(DomainError):
    code = "calendar.import_malformed"
    status = 422
    title = Msg(zh="日历导入文件格式无效", en="Malformed calendar import")
    message = Msg(zh="文件格式无效：{reason}", en="The file cannot be read: {reason}")


class CalendarImportInvalid(DomainError):
    code = "calendar.import_invalid"
    status = 422
    title = Msg(zh="日历导入数据无效", en="Invalid calendar import")
    message = Msg(
        zh="{count} 行有误，未导入任何内容", en="{count} row(s) are invalid; nothing imported"
    )

    def extra(self) -> dict[str, Any]:
        return {"errors": self.params.get("errors", [])}


class InvalidWorkingHours(DomainError):
    code = "org.invalid_working_hours"
    status = 422
    title = Msg(zh="工作时间无效", en="Invalid working hours")
    message = Msg(zh="工作时间无效：{reason}", en="Invalid working hours: {reason}")
