"""Default points per category class (seeded, and filled into older installs once) and the
reason codes of entries written before codes existed."""

import importlib

from core import clock
from core.db import raw, transaction
from org.categories import get_category, update_category
from org.categories_seed import seed_categories
from org.points_defaults import UPGRADE_SQL
from points.reasons import BACKFILL_SQL
from points.tables import PointsEntry
from tests.rewards.support import balance, citizen_id, history


async def test_seeded_categories_pay_more_for_hazards_and_urgent_ones(api):
    async with transaction():
        await seed_categories()
    gas = await get_category(code="E0403")  # 燃气管道破裂: urgent
    cover = await get_category(code="C0101")  # 上水井盖: urgent hazard
    litter = await get_category(code="E0102")  # 暴露垃圾: everyday
    assert (gas.points_on_accept, gas.points_on_close) == (10, 20)
    assert (cover.points_on_accept, cover.points_on_close) == (10, 20)
    assert 0 < litter.points_on_accept < gas.points_on_accept
    assert 0 < litter.points_on_close < gas.points_on_close
    zero = await raw(
        "SELECT COUNT(*) AS n FROM category WHERE minor <> '' AND points_on_accept <= 0"
    )
    assert zero[0]["n"] == 0


def _migration_constant(module: str, name: str) -> str:
    return getattr(importlib.import_module(module), name)


async def test_older_install_gets_default_points_once(api):
    # The PostgreSQL migrations run the same statements as SQLite's ``migrate``.
    assert (
        _migration_constant("org.piccolo_migrations.org_2026_12_05t03_43_00_000000", "UPGRADE_SQL")
        == UPGRADE_SQL
    )
    assert (
        _migration_constant(
            "points.piccolo_migrations.points_2026_12_05t03_43_00_000000", "BACKFILL_SQL"
        )
        == BACKFILL_SQL
    )
    async with transaction():
        await seed_categories()
        await raw("UPDATE category SET points_on_accept = 0, points_on_close = 0")  # as before
        await raw(UPGRADE_SQL)
    assert (await get_category(code="E0403")).points_on_accept == 10
    assert (await get_category(code="E0102")).points_on_close == 6
    async with transaction():  # an admin's choice survives the next upgrade run
        await update_category(code="E0102", points_on_accept=0, points_on_close=0)
        await raw(UPGRADE_SQL)
    assert (await get_category(code="E0102")).points_on_accept == 0


async def test_old_entries_get_codes_and_old_zero_entries_are_hidden(api):
    citizen = await api.citizen()
    account = citizen_id(citizen)
    old = [  # (amount, kind, reference, reason) as the earlier versions wrote them
        (5, "earn", "case:1:accept", "accept"),
        (0, "earn", "case:2:accept", "accept (daily cap reached)"),
        (3, "earn", "case:3:close", "close (daily cap reached)"),
        (20, "adjust", "manual:adj_1", "补发活动积分"),
        (-8, "redeem", "redemption:rd_1", "公交卡充值 10 元"),
        (8, "refund", "redemption:rd_1", "cancelled before use"),
        (-5, "adjust", "case:1:reversal", "reversal: the case was found invalid"),
    ]
    async with transaction():
        for index, (amount, kind, reference, reason) in enumerate(old):
            await raw(
                "INSERT INTO points_entry (account_id, amount, kind, reference, slot, subject, "
                "code, reason, actor_kind, actor_id, created_at) "
                "VALUES ({}, {}, {}, {}, {}, '', '', {}, 'system', 0, {})",
                account,
                amount,
                kind,
                reference,
                f"{kind}|{reference}",
                reason,
                clock.now().replace(microsecond=index),
            )
        await raw(BACKFILL_SQL)
        await raw(BACKFILL_SQL)  # a second run changes nothing
    entries = await history(api, citizen)
    assert [(e["amount"], e["code"], e["note"]) for e in entries] == [
        (-5, "case_reversed", ""),
        (8, "redemption_cancelled", ""),
        (-8, "redeemed", "公交卡充值 10 元"),
        (20, "admin_adjustment", "补发活动积分"),
        (3, "case_fixed", ""),
        (5, "case_accepted", ""),
    ]  # the zero entry stays in the ledger, unseen
    assert await PointsEntry.count().where(PointsEntry.amount == 0) == 1
    assert [e["description"] for e in entries[2:5]] == [
        "兑换「公交卡充值 10 元」",
        "管理员调整：补发活动积分",
        "举报问题已核实解决奖励（已达每日上限）",
    ]
    assert await balance(api, citizen) == 23
