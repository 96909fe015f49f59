from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table


class Reward(Table, tablename="reward"):
    """An item of the rewards shop (积分商城). ``stock`` is only changed by conditional
    UPDATEs (``stock > 0``), so it never goes below zero however many redeem at once."""

    public_id = Varchar(length=24, unique=True)
    name = Varchar(length=100)
    description = Text(default="")
    image_url = Varchar(length=500, default="")
    cost = Integer()  # points
    stock = Integer(default=0)
    per_citizen_limit = Integer(default=0)  # redemptions per citizen; 0: no limit
    # Redemptions per citizen per city day or month ("day", "month"); 0: no limit.
    period_limit = Integer(default=0)
    limit_period = Varchar(length=8, default="")
    # A voucher lapses this many days after it is issued (or at valid_until, if sooner);
    # 0: only valid_until.
    voucher_days = Integer(default=0)
    valid_from = Timestamptz(null=True, default=None)
    valid_until = Timestamptz(null=True, default=None)
    # voucher, pickup (physical goods at pickup_place), coupon (a partner's), donation (the
    # points go to the charity named in partner: done at once, no voucher)
    fulfilment = Varchar(length=8)
    pickup_place = Varchar(length=200, default="")  # the service point, for pickup
    partner = Varchar(length=100, default="")  # who honours the coupon
    # The shop (an org unit of kind "shop") whose merchants redeem its vouchers; null: only
    # city staff do. An org unit id, like Staff.org_unit_id (no cross-app foreign key).
    shop_unit_id = Integer(null=True, default=None, index=True)
    active = Boolean(default=True, index=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Redemption(Table, tablename="redemption"):
    """One exchange of points for a reward, with its voucher code. Status moves once, by a
    conditional UPDATE: issued -> fulfilled (the voucher was used) or issued -> cancelled."""

    public_id = Varchar(length=24, unique=True)
    reward = ForeignKey(references=Reward, on_delete=OnDelete.restrict, index=True)
    citizen_id = Integer(index=True)
    cost = Integer()  # what was debited, for the refund
    status = Varchar(length=10, index=True)
    voucher_code = Varchar(length=16, unique=True)
    created_at = Timestamptz(index=True)
    expires_at = Timestamptz(null=True, default=None)
    fulfilled_at = Timestamptz(null=True, default=None)
    fulfilled_by = Integer(null=True, default=None)  # staff id
    fulfilled_place = Varchar(length=200, default="")
    cancelled_at = Timestamptz(null=True, default=None)
