"""Demo cases that show the command centre's queues: each kind of alert the demo can raise,
a case handed back (转办), a supervision order (督办), and cases whose clock ran out so the
escalation has something to climb. Filed through the real services; the only shortcut is
moving two deadlines into the past, as if those cases had been waiting for days."""

from __future__ import annotations

import datetime as dt

from accounts.api_keys import create_api_client
from cases import handoff, machines, sla, supervision
from cases.demo import photo_id
from cases.reporting import NewCase, file_citizen_report
from cases.tables import Case
from core import clock
from core.actors import Actor

MARKER = "燃气管道破裂，现场有气味"


async def _backdate(case: Case, days: float) -> None:
    """As if dispatched ``days`` ago with a day's limit: past its 80 % mark or its deadline."""
    start = clock.now() - dt.timedelta(days=days)
    await Case.update(
        {
            Case.dispatched_at: start,
            Case.sla_yellow_at: start + dt.timedelta(hours=19),
            Case.deadline_at: start + dt.timedelta(hours=24),
        }
    ).where(Case.id == case.id)


async def load_queue_demo(
    *,
    citizen: Actor,
    squad: Actor,
    supervisor: Actor,
    points: list[tuple[float, float]],
) -> int:
    """Once; returns how many cases it filed."""
    if await Case.exists().where(Case.description == MARKER):
        return 0

    async def report(category: str, text: str, at: tuple[float, float], seed: int) -> Case:
        media = [await photo_id(citizen, seed)]
        new = NewCase(
            category_code=category, lat=at[0], lon=at[1], description=text, media_ids=media
        )
        return await file_citizen_report(actor=citizen, report=new)

    # Urgent, sent to the gas company: unacknowledged after CITYOPS_URGENT_ACK_MINUTES.
    await report("E0403", MARKER, points[1], 201)
    # 八大关's squad: one handed back (转办), one overdue and supervised, one near its limit.
    returned = await report("E0502", "公园门口有人乞讨，非本中队辖区", points[0], 202)
    await handoff.transfer(actor=squad, case=returned, reason="位于相邻街道，非本中队辖区")
    overdue = await report("E0502", "天桥下长期有人露宿", points[0], 203)
    await _backdate(overdue, days=2.5)
    await supervision.supervise(
        actor=supervisor,
        case=await Case.objects().where(Case.id == overdue.id).first(),
        note="群众多次反映，请于明日前办结",
        deadline_at=clock.now() + dt.timedelta(days=1),
    )
    await _backdate(await report("E0502", "地下通道口有人乞讨", points[0], 204), days=0.85)
    # A camera's level-1 alarm, and an event from outside every grid.
    camera = await create_api_client(name="demo-camera", kind="camera", trusted=True)
    machine = Actor(kind="machine", id=camera.client_id, role="camera")
    for external_id, at, category, level in (
        ("demo-1", points[2], "C0111", 1),
        ("demo-2", (36.2, 120.9), "C0301", 3),
    ):
        await machines.file_machine_event(
            actor=machine,
            source_name=camera.name,
            source_kind="camera",
            trusted=True,
            external_id=external_id,
            report=NewCase(category_code=category, lat=at[0], lon=at[1], priority=level),
            signal=machines.Signal(device_id=f"demo-cam-{external_id}"),
        )
    await sla.check_sla()
    return 7
