"""Why a ledger entry was written: a stable code per entry (what clients and reports key on)
and the localized description built from it. Free text (an admin's words, a reward's name)
is the entry's note (the ``reason`` column), never its code.

Entries written before codes existed get theirs from kind and reference (``BACKFILL_SQL``,
run by the points migration on PostgreSQL and at every ``migrate`` on SQLite; it touches
only rows without a code, so it runs once per row).
"""

from __future__ import annotations

from core.i18n import Msg

CASE_ACCEPTED = "case_accepted"
CASE_FIXED = "case_fixed"  # closed after the fix was verified (核查)
CASE_RATED = "case_rated"
FIRST_FOUND = "first_found"  # a later report of the same problem was merged into it
CASE_REVERSED = "case_reversed"
CASE_REVERSED_PARTLY = "case_reversed_partly"  # note: the points already spent
REDEEMED = "redeemed"
DONATED = "donated"  # points given to a charity (a donation reward); note: the charity
REDEMPTION_CANCELLED = "redemption_cancelled"
EXPIRED = "expired"
ADMIN_ADJUSTMENT = "admin_adjustment"
LEGACY = "legacy"  # an old entry the backfill could not place

# The award of each case stage (the stage is the last part of "case:{id}:{stage}").
STAGE_CODES = {
    "accept": CASE_ACCEPTED,
    "close": CASE_FIXED,
    "rate": CASE_RATED,
    FIRST_FOUND: FIRST_FOUND,
}

DESCRIPTIONS: dict[str, Msg] = {
    CASE_ACCEPTED: Msg(zh="举报已立案奖励", en="Report accepted"),
    CASE_FIXED: Msg(zh="举报问题已核实解决奖励", en="Reported problem verified fixed"),
    CASE_RATED: Msg(zh="评价办理结果奖励", en="Rated the outcome"),
    FIRST_FOUND: Msg(zh="首位发现问题奖励", en="First to report the problem"),
    CASE_REVERSED: Msg(zh="举报被判定无效，收回积分", en="Report found invalid: points taken back"),
    CASE_REVERSED_PARTLY: Msg(
        zh="举报被判定无效，收回积分（{note} 分已使用，未收回）",
        en="Report found invalid: points taken back ({note} already spent, not recovered)",
    ),
    REDEEMED: Msg(zh="兑换「{note}」", en="Redeemed “{note}”"),
    DONATED: Msg(zh="捐赠积分给「{note}」", en="Points donated to {note}"),
    REDEMPTION_CANCELLED: Msg(zh="取消兑换，积分退回", en="Redemption cancelled: points refunded"),
    EXPIRED: Msg(zh="积分过期", en="Points expired"),
    ADMIN_ADJUSTMENT: Msg(zh="管理员调整：{note}", en="Adjusted by an administrator: {note}"),
    LEGACY: Msg(zh="{note}", en="{note}"),
}
# Why an award is held rather than paid (points.holds): told to the citizen beside it.
HELD_FOR: dict[str, Msg] = {
    "evidence": Msg(
        zh="照片待人工核验（拍摄时间、地点或信息无法确认）",
        en="Awaiting a check of the photos (when or where they were taken could not be confirmed)",
    ),
    "review": Msg(zh="账户积分审核中", en="Your account's points are being reviewed"),
}
# Said after the description when an award was cut by the daily cap.
CAPPED = Msg(zh="（已达每日上限）", en=" (daily cap reached)")
CAPPED_NOTE = "daily_cap"


def describe(code: str, note: str, locale: str) -> str:
    """The entry's description in ``locale`` (zh-CN or en)."""
    if note == CAPPED_NOTE:
        return DESCRIPTIONS[code].render(locale) + CAPPED.render(locale)
    msg = DESCRIPTIONS.get(code, DESCRIPTIONS[LEGACY])
    return msg.render(locale, note=note)


# Old rows: the code from kind and reference; the earning rules' bare codes ("accept",
# "close (daily cap reached)") are not notes, every other old reason (an admin's text, a
# reward's name, the reversal's sentence) becomes the note.
BACKFILL_SQL = (
    "UPDATE points_entry SET code = CASE "
    "WHEN kind = 'earn' AND reference LIKE 'case:%:accept' THEN 'case_accepted' "
    "WHEN kind = 'earn' AND reference LIKE 'case:%:close' THEN 'case_fixed' "
    "WHEN kind = 'earn' AND reference LIKE 'case:%:rate' THEN 'case_rated' "
    "WHEN kind = 'adjust' AND reference LIKE 'case:%:reversal' THEN 'case_reversed' "
    "WHEN kind = 'adjust' AND reference LIKE 'manual:%' THEN 'admin_adjustment' "
    "WHEN kind = 'redeem' THEN 'redeemed' "
    "WHEN kind = 'refund' THEN 'redemption_cancelled' "
    "WHEN kind = 'expire' THEN 'expired' "
    "ELSE 'legacy' END, "
    "reason = CASE WHEN kind = 'earn' AND reason LIKE '%(daily cap reached)' THEN 'daily_cap' "
    "WHEN kind = 'earn' OR kind IN ('refund', 'expire') THEN '' "
    "WHEN kind = 'adjust' AND reference LIKE 'case:%:reversal' THEN '' "
    "ELSE reason END "
    "WHERE code = ''"
)
