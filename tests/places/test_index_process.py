"""A serving process's index, built by a child process (places.index_process), is the one
the process would build itself: the same columns, records and kinds, opening hours numbered
as this process numbers them."""

from __future__ import annotations

import numpy as np

from places.index import build_index
from places.index_process import build_apart
from places.segment import SORTED_COLUMNS, schedule_id, schedules
from tests.places.util import add_place, fresh_index  # noqa: F401


async def test_the_child_builds_what_the_process_would(api):
    admin = await api.staff("admin")
    schedule_id("Sa 10:00-11:00")  # numbered here first: the child numbers it otherwise
    await add_place(api, admin, name="公厕甲", hours="24/7")
    await add_place(api, admin, kind="parking", name="停车场", north=300, hours="Sa 10:00-11:00")
    await add_place(api, admin, name="公厕乙", east=120, attributes={"accessible": True})

    main, kind_codes = await build_apart()
    here = await build_index(None, None)

    assert kind_codes == here.kind_codes
    for name in SORTED_COLUMNS:
        np.testing.assert_array_equal(getattr(main, name), getattr(here.main, name), name)
    assert bytes(main.records) == bytes(here.main.records)
    assert [schedules[s] for s in main.sched.tolist()] == [
        schedules[s] for s in here.main.sched.tolist()
    ]
    assert main.details(0) == here.main.details(0)


async def test_no_places_an_empty_segment(api):
    main, _ = await build_apart()
    assert len(main) == 0 and len(main.records) == 0
