"""The daily retention task: scan records, GPS tracks, photos of rejected reports and inbox
messages go after their periods (CITYOPS_RETENTION_*); newer ones and what the city keeps
(the patrol's summary, the rejected case itself) stay."""

import datetime as dt

from cases.tables import Case, CaseMedia
from core import clock
from core.db import transaction
from core.periodic import default_tasks
from core.settings import get_settings
from media.tables import Media
from notify.fanout import fan_out
from notify.service import enqueue
from notify.tables import InboxMessage
from patrols.tables import Patrol, PatrolFix
from privacy.retention import retention_tick
from qr import scans
from qr.tables import SignpostScan
from tests.api.citizen.test_reports import _act, _report
from tests.api.inspector.test_patrols import PATROLS, _start, _track, _walk
from tests.cases_city import build_city
from tests.qr.util import add_signpost


async def _inbox_message(citizen_id: int) -> None:
    async with transaction():
        await enqueue(
            recipient_kind="citizen", recipient_id=citizen_id, template="case.accepted", params={}
        )
        await fan_out(channels=set(), settings=get_settings(), batch=100)


async def _old_and_new_data(api):
    city = await build_city(api)
    sign = await add_signpost(api, await api.staff("admin"))
    await api.get(f"/api/citizen/signposts/{sign['code']}")
    await scans.flush()  # counted in memory, written in batches (qr.scans)
    patrol = await _start(api, city.inspector)
    assert (
        await _track(api, city.inspector, patrol["id"], _walk(clock.now(), 5))
    ).status_code == 200
    ended = await api.post(f"{PATROLS}/{patrol['id']}/end", json={}, headers=city.inspector.headers)
    assert ended.status_code == 200, ended.text
    citizen = await api.citizen()
    rejected = (await _report(api, citizen, category="E0102", photos=2)).json()["id"]
    await _act(api, city, rejected, "reject", reason="不属于城市管理范围")
    kept = (await _report(api, citizen, category="E0102", photos=1)).json()["id"]
    await _inbox_message(city.inspector.subject_id)
    # A year and a month later: all of the above is past its default period...
    clock.travel(dt.timedelta(days=400))
    # ...but not what happens now.
    await api.get(f"/api/citizen/signposts/{sign['code']}")
    await scans.flush()
    await _inbox_message(city.inspector.subject_id)
    return city, rejected, kept


async def test_old_personal_data_goes_and_the_rest_stays(api):
    _, rejected, kept = await _old_and_new_data(api)
    rejected_photos = [
        r["media_id"]
        for r in await CaseMedia.select(CaseMedia.media_id).where(
            CaseMedia.case.public_id == rejected
        )
    ]
    assert len(rejected_photos) == 2
    inbox_before = await InboxMessage.count()
    removed = await retention_tick()
    assert removed == {"scans": 1, "gpsFixes": 5, "inbox": inbox_before - 1, "rejectedPhotos": 2}
    assert await SignpostScan.count() == 1
    assert await PatrolFix.count() == 0
    patrol = await Patrol.objects().first()
    assert patrol.summary and patrol.fix_count == 5  # the city's record of the patrol stays
    assert await InboxMessage.count() == 1
    assert not await Media.exists().where(Media.public_id.is_in(rejected_photos))
    assert await Case.exists().where(Case.public_id == rejected)
    admin = await api.staff("admin")  # the city's tokens expired over the year
    detail = await api.get(f"/api/admin/cases/{rejected}", headers=admin.headers)
    assert detail.status_code == 200 and detail.json()["photos"] == []
    # The open report's photo is no rejected report's: it stays.
    detail = await api.get(f"/api/admin/cases/{kept}", headers=admin.headers)
    assert len(detail.json()["photos"]) == 1
    # A second run (another worker, the next day) finds nothing to do.
    assert await retention_tick() == {"scans": 0, "gpsFixes": 0, "inbox": 0, "rejectedPhotos": 0}


async def test_periods_are_settings(api, settings_env):
    settings_env(CITYOPS_RETENTION_SCAN_DAYS="500", CITYOPS_RETENTION_INBOX_DAYS="500")
    await _old_and_new_data(api)
    removed = await retention_tick()
    assert (removed["scans"], removed["inbox"]) == (0, 0)
    assert removed["gpsFixes"] == 5


def test_the_worker_runs_it_daily():
    assert ("retention", 86400.0) in [(name, every) for name, every, _ in default_tasks()]
