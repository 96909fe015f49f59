"""综合评价 for command centres: units, areas and inspectors scored, graded and ranked, as the
caller's centre sees them. JSON, or CSV (``format=csv`` or ``Accept: text/csv``) through the
one CSV writer."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

from api.admin.calendar import InvalidRange
from api.csv_export import csv_bytes, csv_response
from api.types import UtcDateTime
from cases import evaluation, scope
from cases.evaluation_queries import AreaKind
from core.actors import Actor


@cache  # a few names, asked for on every row of thousands
def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class RowOut(msgspec.Struct, frozen=True, rename="camel"):
    rank: int | None
    id: str | None  # a unit's or area's id; a staff member's public id
    kind: str
    code: str | None
    name: str
    score: float | None
    grade: str | None  # excellent, good, fair, poor
    grade_label: str | None  # 优 良 中 差
    counts: dict[str, int]
    rates: dict[str, float | None]
    # Units and areas: the answered satisfaction surveys (回访), shown, not scored.
    satisfaction: evaluation.Satisfaction | None = None


class EvaluationOut(msgspec.Struct, frozen=True, rename="camel"):
    since: dt.datetime = msgspec.field(name="from")
    until: dt.datetime = msgspec.field(name="to")
    level: str = ""
    area_kind: str | None = None
    # rate -> weight in the score; a negative weight scores the rate's complement
    weights: dict[str, float] = {}
    rows: list[RowOut] = []


def _out(row: evaluation.Row) -> RowOut:
    return RowOut(
        rank=row.rank,
        id=row.ref,
        kind=row.kind,
        code=row.code,
        name=row.name,
        score=row.score,
        grade=row.grade,
        grade_label=evaluation.GRADE_LABELS.get(row.grade or ""),
        counts={_camel(k): v for k, v in row.counts.items()},
        rates={_camel(k): v for k, v in row.rates.items()},
        satisfaction=row.satisfaction,
    )


async def evaluation_page(
    actor: Actor,
    *,
    since: dt.datetime,
    until: dt.datetime,
    level: str,
    area_kind: str,
    lang: str,
) -> EvaluationOut:
    """综合评价 of the actor's scope (GET /api/admin/evaluation and the workbench's page)."""
    if until <= since or until - since > evaluation.MAX_RANGE:
        raise InvalidRange(days=evaluation.MAX_RANGE.days)
    result = await evaluation.evaluate(
        scope=await scope.scope_of(actor),
        level=level,
        since=since,
        until=until,
        area_kind=area_kind,
        locale=lang,
    )
    return EvaluationOut(
        since=result.since,
        until=result.until,
        level=result.level,
        area_kind=result.area_kind,
        weights={_camel(k): v for k, v in evaluation.WEIGHTS[level].items()},
        rows=[_out(row) for row in result.rows],
    )


def evaluation_csv_name(page: EvaluationOut) -> str:
    kind = f"-{page.area_kind}" if page.area_kind else ""
    return f"evaluation-{page.level}{kind}-{page.since.date()}-{page.until.date()}.csv"


def evaluation_csv(page: EvaluationOut) -> bytes:
    counts = [_camel(n) for n in evaluation.COUNTS[page.level]]
    rates = [_camel(name) for name, _, _ in evaluation.RATES[page.level]]
    header = ["rank", "id", "kind", "code", "name", "score", "grade", "gradeLabel"]
    survey = ["surveyed", "fixedRate", *evaluation.SURVEY_DIMENSIONS]
    if page.level == "inspector":
        survey = []
    rows = (
        [r.rank, r.id, r.kind, r.code, r.name, r.score, r.grade, r.grade_label]
        + [r.counts[c] for c in counts]
        + [r.rates[c] for c in rates]
        + [_survey_cell(r.satisfaction, c) for c in survey]
        for r in page.rows
    )
    return csv_bytes([*header, *counts, *rates, *survey], rows)


def _survey_cell(satisfaction: evaluation.Satisfaction | None, column: str):
    values = msgspec.to_builtins(satisfaction) if satisfaction is not None else {}
    return values.get(column)


class EvaluationController(Controller):
    path = "/evaluation"
    tags = ["command centre"]

    @get(
        "/",
        summary="综合评价: units, areas or inspectors scored, graded and ranked over [from, to)",
    )
    async def evaluate(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        since: Annotated[UtcDateTime, QueryParameter(name="from")],
        until: Annotated[UtcDateTime, QueryParameter(name="to")],
        level: FromQuery[Literal["unit", "area", "inspector"]] = "unit",
        area_kind: Annotated[AreaKind, QueryParameter(name="areaKind")] = "district",
        format: FromQuery[Literal["json", "csv"] | None] = None,  # noqa: A002 - the query name
        lang: FromQuery[Literal["zh-CN", "en"]] = "zh-CN",
    ) -> Response:
        page = await evaluation_page(
            actor, since=since, until=until, level=level, area_kind=area_kind, lang=lang
        )
        wants_csv = format == "csv" or (
            format is None and "text/csv" in request.headers.get("accept", "")
        )
        if wants_csv:
            return csv_response(evaluation_csv(page), filename=evaluation_csv_name(page))
        return Response(page)
