"""The national category tree, city codes and SLA limits."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from core.db import raw, transaction
from org import categories, category_tree, sla
from org.categories_seed import seed_categories, seed_count
from org.errors import (
    CategoryCodeTaken,
    InvalidCategory,
    InvalidPriority,
    InvalidSlaLimit,
    UnknownCategory,
)

CST = ZoneInfo("Asia/Shanghai")
NAMED_IN_THE_ISSUE = {
    "C0101": "上水井盖",
    "C0118": "路灯",
    "C0301": "公共厕所",
    "E0102": "暴露垃圾",
    "E0501": "无照经营游商",
    "E0504": "店外经营",
    "E0505": "机动车乱停放",
    "E0406": "道路积水",
    "E0403": "燃气管道破裂",
}


async def seeded():
    async with transaction():
        return await seed_categories()


async def test_the_seed_holds_the_national_tree(database):
    added = await seeded()
    assert seed_count() >= 60
    assert added == seed_count() + 11  # and the 11 major classes
    for code, name in NAMED_IN_THE_ISSUE.items():
        category = await categories.get_category(code=code)
        assert category.name_zh == name
        assert category.name_en and category.sla_value > 0
    gas = await categories.get_category(code="E0403")
    assert (gas.kind, gas.major, gas.minor, gas.major_code) == ("event", "04", "03", "E04")
    assert gas.urgent and gas.default_priority == 1 and gas.sla_unit == "hours"
    for urgent in ("E0402", "E0406", "C0101", "C0114"):
        assert (await categories.get_category(code=urgent)).urgent
    assert not (await categories.get_category(code="E0505")).urgent
    assert (await categories.get_category(code="C0101")).kind == "component"


async def test_seeding_twice_changes_nothing_and_keeps_admin_edits(database):
    await seeded()
    async with transaction():
        await categories.update_category(code="E0505", sla_value=3, name_en="Bad parking")
    assert await seeded() == 0
    parking = await categories.get_category(code="E0505")
    assert (parking.sla_value, parking.name_en) == (3, "Bad parking")
    rows = await raw("SELECT COUNT(*) AS n FROM sla_policy")
    assert rows[0]["n"] == 2


async def test_unknown_inactive_and_major_codes_are_refused(database):
    await seeded()
    for code in ("E0599", "X0101", "", "E05"):
        with pytest.raises(UnknownCategory) as info:
            await categories.get_category(code=code)
        assert (info.value.code, info.value.status) == ("category.unknown", 422)
    assert (await categories.get_category(code="E05", leaf_only=False)).is_major
    async with transaction():
        await categories.update_category(code="E0512", active=False)
    with pytest.raises(UnknownCategory):
        await categories.get_category(code="E0512")


async def test_a_city_adds_its_own_codes(database):
    await seeded()
    async with transaction():
        own = await categories.create_category(
            code="E0590",
            name_zh="共享单车乱停放",
            name_en="Badly parked shared bike",
            default_priority=4,
            sla_value=1,
            sla_unit="working_days",
            points_on_close=5,
        )
    assert own.parent_id == (await categories.get_category(code="E05", leaf_only=False)).id
    assert (await categories.get_category(code="E0590")).points_on_close == 5
    with pytest.raises(CategoryCodeTaken):
        async with transaction():
            await categories.create_category(
                code="E0590", name_zh="重复", name_en="Duplicate", sla_value=1
            )
    bad = [
        {"code": "E5", "sla_value": 1},
        {"code": "E0991", "sla_value": 1},  # no major class 09
        {"code": "E0591", "sla_value": 0},
        {"code": "E0591", "sla_value": 2, "sla_unit": "fortnights"},
    ]
    for fields in bad:
        with pytest.raises(InvalidCategory):
            async with transaction():
                await categories.create_category(name_zh="新", name_en="New", **fields)
    with pytest.raises(InvalidPriority):
        async with transaction():
            await categories.create_category(
                code="E0591", name_zh="新", name_en="New", sla_value=1, default_priority=5
            )


async def test_the_tree_is_localized(database):
    await seeded()
    zh = await category_tree.category_tree(locale="zh-CN")
    en = await category_tree.category_tree(locale="en")
    assert [kind.name for kind in zh] == ["部件", "事件"]
    assert [kind.name for kind in en] == ["Components", "Events"]
    events = en[1]
    order = events.children[4]
    assert (order.code, order.name) == ("E05", "Street order")
    assert [leaf.code for leaf in order.children][:5] == [
        "E0501",
        "E0502",
        "E0503",
        "E0504",
        "E0505",
    ]
    assert order.children[4].name == "Illegally parked motor vehicle"
    assert sum(len(major.children) for kind in zh for major in kind.children) == seed_count()


async def test_sla_limits_follow_the_documented_precedence(database, settings_env):
    # Policies are cached: setting and removing one still holds at once in this process.
    settings_env(CITYOPS_CACHE_CHECK_SECONDS="3600")
    await seeded()
    parking = await categories.get_category(code="E0505")  # priority 3, 2 working hours
    own = sla.SlaLimit(value=2, unit="working_hours")
    assert await sla.sla_limit(category=parking) == own
    assert await sla.sla_limit(category=parking, priority=3) == own
    # Raised to urgent: the seeded limit for every urgent case.
    assert await sla.sla_limit(category=parking, priority=1) == sla.SlaLimit(value=2, unit="hours")
    # Lowered: no policy for priority 4, the category's own limit.
    assert await sla.sla_limit(category=parking, priority=4) == own
    async with transaction():
        await sla.set_sla_policy(
            category_code="E0505", priority=1, limit_value=30, limit_unit="hours"
        )
        await sla.set_sla_policy(
            category_code="E0505", priority=3, limit_value=1, limit_unit="working_days"
        )
        await sla.set_sla_policy(
            category_code="E0505", priority=3, limit_value=3, limit_unit="working_hours"
        )  # replaces the line above
    assert await sla.sla_limit(category=parking, priority=1) == sla.SlaLimit(value=30, unit="hours")
    assert await sla.sla_limit(category=parking) == sla.SlaLimit(value=3, unit="working_hours")
    # A category whose default is urgent keeps its own (shorter) limit at priority 1.
    gas = await categories.get_category(code="E0403")
    assert await sla.sla_limit(category=gas, priority=1) == sla.SlaLimit(value=1, unit="hours")
    async with transaction():
        await sla.remove_sla_policy(category_code="E0505", priority=3)
    assert await sla.sla_limit(category=parking) == own
    for value, unit in ((0, "hours"), (3, "weeks")):
        with pytest.raises(InvalidSlaLimit):
            async with transaction():
                await sla.set_sla_policy(
                    category_code=None, priority=2, limit_value=value, limit_unit=unit
                )
    with pytest.raises(InvalidPriority):
        await sla.sla_limit(category=parking, priority=7)


async def test_deadlines_in_clock_and_working_time(database):
    await seeded()
    gas = await categories.get_category(code="E0403")
    parking = await categories.get_category(code="E0505")
    light = await categories.get_category(code="C0118")  # 2 working days
    saturday_night = dt.datetime(2026, 10, 3, 22, 0, tzinfo=CST)  # in the National Day week
    assert await sla.sla_deadline(category=gas, start=saturday_night) == dt.datetime(
        2026, 10, 3, 23, 0, tzinfo=CST
    )
    assert await sla.sla_deadline(category=parking, start=saturday_night) == dt.datetime(
        2026, 10, 8, 10, 30, tzinfo=CST
    )
    assert await sla.sla_deadline(
        category=light, start=dt.datetime(2026, 9, 30, 16, 0, tzinfo=CST)
    ) == dt.datetime(2026, 10, 9, 16, 0, tzinfo=CST)


async def test_sla_status_counts_the_same_time_as_the_deadline(database):
    await seeded()
    limit = sla.SlaLimit(value=10, unit="working_hours")
    start = dt.datetime(2026, 9, 30, 9, 30, tzinfo=CST)
    deadline = await sla.deadline_for(limit=limit, start=start)
    at_deadline = await sla.sla_status(limit=limit, start=start, at=deadline)
    assert at_deadline.elapsed == at_deadline.limit == dt.timedelta(hours=10)
    assert (at_deadline.light, at_deadline.overdue) == ("yellow", False)
    early = await sla.sla_status(limit=limit, start=start, at=start + dt.timedelta(hours=2))
    assert (early.elapsed, early.light) == (dt.timedelta(hours=2), "green")
    # Due at 12:00 on 8 October; the lunch break does not count, the afternoon does.
    assert deadline == dt.datetime(2026, 10, 8, 12, 0, tzinfo=CST)
    lunch = await sla.sla_status(limit=limit, start=start, at=deadline + dt.timedelta(hours=1))
    assert (lunch.light, lunch.overdue) == ("yellow", False)
    late = await sla.sla_status(limit=limit, start=start, at=deadline + dt.timedelta(hours=2))
    assert (late.light, late.overdue) == ("red", True)
    # During the holiday the clock stands still: 6.5 h of 10 a week later, still green.
    holiday = await sla.sla_status(
        limit=limit, start=start, at=dt.datetime(2026, 10, 6, 12, 0, tzinfo=CST)
    )
    assert holiday.elapsed == dt.timedelta(hours=6.5) and holiday.light == "green"
    clock_limit = sla.SlaLimit(value=2, unit="hours")
    night = await sla.sla_status(limit=clock_limit, start=start, at=start + dt.timedelta(hours=3))
    assert (night.elapsed, night.light) == (dt.timedelta(hours=3), "red")
