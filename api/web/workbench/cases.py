"""/workbench/cases/{id}: one case as GET /api/admin/cases/{id} gives it (the same Struct:
a page cannot show what the API masks), and the actions allowed now as forms that go
through the same services as the API (cases.manual, cases.supervision, cases.command)."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from api.admin.cases import ActionIn
from api.admin.command_centre import SupervisionIn, SupervisionNoteIn
from api.case_views import case_staff_detail
from api.citizen.reports import CaseId
from api.media import photo_response
from api.web.workbench.forms import FormInvalid, convert, field_errors, form_fields
from api.web.workbench.templating import is_partial, page, page_headers
from cases import command, field, manual, queries, supervision
from cases.access import case_for_staff
from cases.manual import Action
from core.actors import Actor
from core.db import transaction
from core.errors import DomainError
from media import service as media
from media.errors import MediaNotFound
from org import units
from org.categories import category_names

BASE = "/workbench/cases"
SUPERVISORS = {"supervisors": True}

# The fields of each action's form, in the API's names (ActionIn); the order is the form's.
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "accept": ("autoDispatch",),
    "reject": ("reason",),
    "cancel": ("reason",),
    "suspend": ("reason",),
    "merge": ("intoCaseId",),
    "dispatch": ("unitId", "priority", "note"),
    "redispatch": ("unitId", "priority", "note"),
    "resume": ("unitId", "priority", "note"),
    "assign": ("staffId",),
    "assist": ("unitIds",),
    "recategorize": ("category", "reason"),
    "resolve": ("note",),
    "close": ("note",),
    "rework": ("note",),
    "supervise": ("note", "deadline", "unitId"),
    "note": ("text",),
}


def _action_url(case_id: str, action: str) -> str:
    if action == "supervise":
        return f"{BASE}/{case_id}/supervision"
    if action == "note":
        return f"{BASE}/{case_id}/notes"
    return f"{BASE}/{case_id}/act/{action}"


async def _detail(actor: Actor, case_id: str):
    case = await case_for_staff(actor, case_id)  # out of scope: the same 404 as none
    detail = await case_staff_detail(
        case,
        media_base=f"{BASE}/{case_id}/photos",
        actions=await command.available_actions(actor, case),
        locale=actor.locale,
    )
    return detail


async def _render(
    request: Request,
    actor: Actor,
    case_id: str,
    *,
    errors: dict[str, dict[str, str]] | None = None,
    status: int = 200,
    done: str = "",
) -> Template:
    detail = await _detail(actor, case_id)
    needs_unit = any("unitId" in ACTION_FIELDS.get(a, ()) for a in detail.actions)
    context = {
        # the units a form may name (dispatch, transfer, supervise), by name and code
        "units": [(u.id, f"{u.name(actor.locale)} ({u.code})") for u in await units.list_units()]
        if needs_unit
        else [],
        "detail": detail,
        "c": detail.case,
        "forms": [
            {"action": a, "url": _action_url(case_id, a), "fields": ACTION_FIELDS.get(a, ())}
            for a in detail.actions
        ],
        "errors": errors or {},
        # A refusal of an action no longer offered (a second click, a colleague was faster):
        # said at the top, with the case as it is now.
        "notice": next(
            (
                msg
                for a, errs in (errors or {}).items()
                if a not in detail.actions
                for msg in errs.values()
                if msg
            ),
            "",
        ),
        "done": done,
        "phone": None,
        "category": (await category_names([detail.case.category_code], actor.locale)).get(
            detail.case.category_code, ""
        ),
    }
    return await page(request, actor, "case", context, active="queue", status=status)


async def _after(
    request: Request, actor: Actor, case_id: str, action: str, run
) -> Response | Template:
    """Run one action; on htmx the case region again (with the refusal beside its field),
    without JS a redirect to the case page (or the page with the refusal)."""
    try:
        await run()
    except (FormInvalid, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status == 404:
            raise
        fields, general, status = field_errors(exc, actor.locale)
        errors = {action: {**fields, "": general} if general else fields}
        return await _render(request, actor, case_id, errors=errors, status=status)
    if is_partial(request):
        return await _render(request, actor, case_id, done=action)
    return Redirect(f"{BASE}/{case_id}", status_code=303)


class CasePages(Controller):
    path = "/cases"

    @get("/{case_id:str}", name="wb.case", opt=SUPERVISORS)
    async def case(
        self, request: Request, actor: NamedDependency[Actor], case_id: FromPath[CaseId]
    ) -> Template:
        return await _render(request, actor, case_id)

    @post("/{case_id:str}/act/{action:str}", name="wb.case.act", status_code=200)
    async def act(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        action: FromPath[Action],
    ) -> Response | Template:
        fields = await form_fields(request)

        async def run() -> None:
            data = convert(fields, ActionIn)
            async with transaction():
                await case_for_staff(actor, case_id)
                await manual.run_action(action, actor, case_id, data)

        return await _after(request, actor, case_id, action, run)

    @post("/{case_id:str}/supervision", name="wb.case.supervise", opt=SUPERVISORS, status_code=200)
    async def supervise(
        self, request: Request, actor: NamedDependency[Actor], case_id: FromPath[CaseId]
    ) -> Response | Template:
        fields = await form_fields(request, moments=("deadline",))

        async def run() -> None:
            data = convert(fields, SupervisionIn)
            async with transaction():
                await supervision.supervise_case(
                    actor=actor,
                    case_id=case_id,
                    note=data.note,
                    deadline_at=data.deadline,
                    unit_id=data.unit_id,
                )

        return await _after(request, actor, case_id, "supervise", run)

    @post("/{case_id:str}/notes", name="wb.case.note", opt=SUPERVISORS, status_code=200)
    async def note(
        self, request: Request, actor: NamedDependency[Actor], case_id: FromPath[CaseId]
    ) -> Response | Template:
        fields = await form_fields(request)

        async def run() -> None:
            data = convert(fields, SupervisionNoteIn)
            async with transaction():
                case = await case_for_staff(actor, case_id)
                await command.add_note(actor=actor, case=case, text=data.text)

        return await _after(request, actor, case_id, "note", run)

    @post("/{case_id:str}/phone", name="wb.case.phone", opt=SUPERVISORS, status_code=200)
    async def reveal_phone(
        self, request: Request, actor: NamedDependency[Actor], case_id: FromPath[CaseId]
    ) -> Response | Template:
        """The reporter's full number; each reveal is recorded in the case's history."""
        async with transaction():
            phone = await field.reporter_phone(actor=actor, case_id=case_id)
        if not is_partial(request):
            return Redirect(f"{BASE}/{case_id}", status_code=303)
        return Template(
            template_name="workbench/partials/_phone.html",
            context={"lang": actor.locale, "phone": phone, "revealed": True},
            headers=page_headers(actor.locale),
        )

    @get(
        "/{case_id:str}/photos/{media_id:str}/{variant:str}",
        name="wb.case.photo",
        opt={"supervisors": True, "skip_compression": True},
        media_type="image/jpeg",
    )
    async def photo(
        self,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        media_id: FromPath[str],
        variant: FromPath[Literal["display", "thumb"]],
    ) -> Response[bytes]:
        """After the same case check as the page: only a photo of this case, for <img>
        (which sends the cookie, never a Bearer token)."""
        case = await case_for_staff(actor, case_id)
        linked = {row.media_id for row in await queries.photos(case)}
        if media_id not in linked:
            raise MediaNotFound(media_id=media_id)
        body, content_type = await media.open_media(
            actor=actor, media_id=media_id, variant=variant, may_view_also=_case_photo(linked)
        )
        return photo_response(body, content_type)


def _case_photo(linked: set[str]):
    async def allowed(actor: Actor, row) -> bool:  # the case check above is the permission
        return row.public_id in linked

    return allowed
