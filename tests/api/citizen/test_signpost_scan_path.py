"""The scan's request path writes nothing: scans are counted in memory and written in
batches (qr.scans), the signpost comes from process memory (qr.cache), and a code that was
withdrawn, deleted or never registered is refused at once after the edit, whichever
process or writer made it."""

from __future__ import annotations

import os

import httpx
import pytest

from core.db import raw
from qr import codes, scans
from qr.tables import SignpostScan
from tests.helpers import assert_problem
from tests.qr.util import add_signpost
from tests.servers import running_apps

PG_URL = os.environ.get("CITYOPS_TEST_DATABASE_URL", "")


async def _scan_rows() -> int:
    return len(await SignpostScan.select(SignpostScan.id))


async def test_scans_are_counted_in_memory_and_written_in_one_batch(api):
    admin = await api.staff("admin")
    sign = await add_signpost(api, admin)
    for _ in range(3):
        assert (await api.get(f"/api/citizen/signposts/{sign['code']}")).status_code == 200
    assert (await api.get(f"/q/{sign['code']}")).status_code == 200
    assert await _scan_rows() == 0 and scans.pending() == 4  # nothing written per scan
    # The statistics include what is not written yet (they flush first).
    counted = await api.get(f"/api/admin/signposts/{sign['code']}/scans", headers=admin.headers)
    assert counted.json()["total"] == 4
    assert await _scan_rows() == 4 and scans.pending() == 0


async def test_scans_of_a_sign_deleted_before_the_batch_are_dropped_with_it(api):
    admin = await api.staff("admin")
    gone, kept = await add_signpost(api, admin), await add_signpost(api, admin, name="留下")
    await api.get(f"/api/citizen/signposts/{gone['code']}")
    await api.get(f"/api/citizen/signposts/{kept['code']}")
    deleted = await api.delete(f"/api/admin/signposts/{gone['code']}", headers=admin.headers)
    assert deleted.status_code == 204
    assert await scans.flush() == 2  # the batch is not lost for the one sign that went
    assert await _scan_rows() == 1


@pytest.mark.parametrize("route", ["/api/citizen/signposts/{}", "/q/{}"])
async def test_a_withdrawn_or_deleted_code_is_refused_at_once(api, route):
    admin = await api.staff("admin")
    withdrawn, deleted = await add_signpost(api, admin), await add_signpost(api, admin, name="乙")
    for sign in (withdrawn, deleted):
        assert (await api.get(route.format(sign["code"]))).status_code == 200  # now cached
    changed = await api.patch(
        f"/api/admin/signposts/{withdrawn['code']}",
        headers=admin.headers,
        json={"status": "removed"},
    )
    assert changed.status_code == 200
    await api.delete(f"/api/admin/signposts/{deleted['code']}", headers=admin.headers)
    for sign in (withdrawn, deleted):
        refused = await api.get(route.format(sign["code"]))
        if route.startswith("/q/"):
            assert refused.status_code == 404 and 'id="not-found"' in refused.text
        else:
            assert_problem(refused, 404, "signpost.not_found")


async def test_an_edit_by_another_writer_is_seen_through_the_version_stamp(api):
    """No hint in this process: another process (here plain SQL) changes the table; the
    trigger moves the stamp in its transaction and the next scan sees it."""
    admin = await api.staff("admin")
    sign = await add_signpost(api, admin)
    unregistered = codes.new_code()
    assert (await api.get(f"/api/citizen/signposts/{sign['code']}")).status_code == 200
    assert (await api.get(f"/api/citizen/signposts/{unregistered}")).status_code == 404
    await raw("UPDATE signpost SET status = 'removed' WHERE code = {}", sign["code"])
    await raw("UPDATE signpost SET code = {} WHERE code = {}", unregistered, sign["code"])
    assert_problem(
        await api.get(f"/api/citizen/signposts/{sign['code']}"), 404, "signpost.not_found"
    )
    await raw("UPDATE signpost SET status = 'active' WHERE code = {}", unregistered)
    assert (await api.get(f"/api/citizen/signposts/{unregistered}")).status_code == 200


async def test_a_counterfeit_code_is_refused_before_any_lookup(api):
    real = codes.new_code()
    forged = real[:5] + ("00000" if real[5:] != "00000" else "11111")
    assert_problem(await api.get(f"/api/citizen/signposts/{forged}"), 422, "signpost.counterfeit")
    assert (await api.get(f"/q/{forged}")).status_code == 400
    assert scans.pending() == 0


@pytest.mark.postgres_only
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL: two server processes, one database")
async def test_two_processes_edit_in_one_refused_by_the_other_clean_stop_writes_counts(api):
    admin = await api.staff("admin")
    signs = [await add_signpost(api, admin, name=f"路牌{i}") for i in range(2)]
    env = {**os.environ, "CITYOPS_DATABASE_URL": PG_URL, "CITYOPS_WORKER_IN_PROCESS": "false"}
    # A flush interval no test waits for: only the clean stop can write these counts.
    env["CITYOPS_SCAN_FLUSH_SECONDS"] = "3600"
    with running_apps(env, count=2) as (first, second):
        async with httpx.AsyncClient(base_url=first) as a, httpx.AsyncClient(base_url=second) as b:
            for sign in signs:
                assert (await a.get(f"/api/citizen/signposts/{sign['code']}")).status_code == 200
                assert (await a.get(f"/q/{sign['code']}")).status_code == 200
            headers = admin.headers  # the processes share the signing key
            patched = await b.patch(
                f"/api/admin/signposts/{signs[0]['code']}",
                headers=headers,
                json={"status": "removed"},
            )
            assert patched.status_code == 200, patched.text
            assert (
                await b.delete(f"/api/admin/signposts/{signs[1]['code']}", headers=headers)
            ).status_code == 204
            for sign in signs:
                answer = await a.get(f"/api/citizen/signposts/{sign['code']}")
                assert_problem(answer, 404, "signpost.not_found")
                assert (await a.get(f"/q/{sign['code']}")).status_code == 404
            assert await _scan_rows() == 0  # counted in the first process's memory only
    # SIGTERM: the first process wrote its counts as it stopped (the deleted sign's with it).
    assert await _scan_rows() == 2
