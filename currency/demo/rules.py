"""The demo's rulebook: one rule of every kind in force, and some history to look at.

Every rule goes through the rulebook as staff would: ``staff1`` (田中, city admin) drafts,
``staff2`` (後藤, city staff) approves, and the versions took effect a week before the
demo was loaded. The staff console also finds a rejected draft (a 3 % merchant fee) and
a pending one (next month's extra premium). The pending draft is ``staff2``'s, so that
``staff1``, whose sign-in is handed out first, can approve it: a rule is never decided
by its own author.

Campaigns and programmes:

- ``premium-<year>``: プレミアム付きチャージ, 20 % as coins (like a premium gift voucher,
  the premium is part of the voucher), up to 2,000 per resident, budget 1,000,000, at
  the counter, kiosks and the payment provider, from 30 days ago to 60 days ahead.
- ``volunteer``: ボランティアポイント, spendable at small shops only (``small-business``),
  90 days from the grant.
- ``machizukuri``: まちづくりポイント, spendable only in the eight outlying districts, to keep
  the shops of the old towns and villages going.
- ``kenko``: 健康ポイント, spendable anywhere.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from currency.clock import JAPAN
from currency.demo import data
from currency.issuance import rulebook
from currency.issuance.rules import (
    Activity,
    ChargePremium,
    ExpiryPolicy,
    LocalizedName,
    LotExpiry,
    MerchantFee,
    PointProgramme,
    Restrictions,
    Rule,
    SendPolicy,
    SettlementSchedule,
    WalletLimits,
)

VOLUNTEER = "volunteer"
MACHIZUKURI = "machizukuri"
KENKO = "kenko"
IN_FORCE_SINCE_DAYS = 7
FEE_REJECTED = "小規模店舗の負担が大きいため"


async def adopt(
    session: AsyncSession,
    *,
    currency_id: int,
    drafter: int,
    approver: int,
    now: datetime,
    fee_free_code: str,
) -> None:
    """Draft and approve every rule in force; then one rejected and one pending draft."""
    since = midnight(now) - timedelta(days=IN_FORCE_SINCE_DAYS)
    for rule, note in in_force(now, fee_free_code=fee_free_code):
        drafted = await rulebook.draft(
            session, currency_id=currency_id, staff_id=drafter, rule=rule, starts_at=since,
            note=note,
        )  # fmt: skip
        await rulebook.approve(
            session, currency_id=currency_id, staff_id=approver, rule_id=drafted.id
        )
    next_month = first_of_next_month(now)
    proposed = await rulebook.draft(
        session, currency_id=currency_id, staff_id=drafter, starts_at=next_month,
        rule=MerchantFee(default_rate_bp=300, overrides={fee_free_code: 0}),
        note="換金手数料を3%に引き上げる案（運営費の確保）",
    )  # fmt: skip
    await rulebook.reject(
        session, currency_id=currency_id, staff_id=approver, rule_id=proposed.id,
        reason=FEE_REJECTED,
    )  # fmt: skip
    await rulebook.draft(
        session, currency_id=currency_id, staff_id=approver, starts_at=next_month,
        rule=next_month_campaign(next_month), note="議会の予算議決後に承認してください",
    )  # fmt: skip


def in_force(now: datetime, *, fee_free_code: str) -> list[tuple[Rule, str]]:
    """Every kind of rule, with the note its author wrote."""
    return [
        (ExpiryPolicy(coin_days=180, point_days=365), "コインは6か月（資金決済法の適用除外）"),
        (WalletLimits(), "既定の上限（本人確認済みは高め）"),
        (SendPolicy(lot_kinds=("coin",)), "送れるのはコインだけ（ポイントは本人の活動への謝礼）"),
        (
            MerchantFee(default_rate_bp=150, overrides={fee_free_code: 0}),
            "公共施設の使用料は市の収入なので手数料なし",
        ),
        (SettlementSchedule(cutoff_days=(10, 25)), "毎月10日・25日締め、5日後に振込"),
        (campaign(now), "プレミアム付きチャージ（当初予算）"),
        (volunteer(), "ボランティア活動への謝礼、小規模店舗で利用"),
        (machizukuri(), "周辺8地区の地域活動、地区内の店舗で利用"),
        (kenko(), "健診受診・運動教室への参加"),
    ]


def campaign(now: datetime) -> ChargePremium:
    opened = midnight(now) - timedelta(days=30)
    return ChargePremium(
        code=f"premium-{opened.year}",
        name=LocalizedName(ja="プレミアム付きチャージ", en="Premium charge"),
        rate_bp=2_000,
        premium_kind="coin",
        cap_per_resident=2_000,
        budget=1_000_000,
        starts_at=opened,
        ends_at=midnight(now) + timedelta(days=60),
        channels=("counter", "kiosk", "provider"),
    )


def next_month_campaign(starts_at: datetime) -> ChargePremium:
    """Next month's extra premium (a year-end one when next month is December)."""
    year_end = starts_at.month == 12
    ja = "年末プレミアム" if year_end else f"{starts_at.month}月の特別プレミアム"
    en = "Year-end premium" if year_end else f"{starts_at:%B} special premium"
    return ChargePremium(
        code=f"year-end-{starts_at.year}" if year_end else f"special-{starts_at:%Y-%m}",
        name=LocalizedName(ja=ja, en=en),
        rate_bp=3_000,
        premium_kind="coin",
        cap_per_resident=3_000,
        budget=1_500_000,
        starts_at=starts_at,
        ends_at=first_of_next_month(starts_at),
        channels=("counter", "kiosk"),
    )


def volunteer() -> PointProgramme:
    return PointProgramme(
        code=VOLUNTEER,
        name=LocalizedName(ja="ボランティアポイント", en="Volunteer points"),
        activities=(
            _activity("cleanup", "清掃活動", "Clean-up", 100),
            _activity("watch", "見守り活動", "Watching over neighbours", 200),
            _activity("kodomo-shokudo", "子ども食堂のお手伝い", "Children's cafeteria help", 300),
        ),
        monthly_cap=1_000,
        yearly_cap=6_000,
        budget=500_000,
        expiry=LotExpiry(days_from_grant=90),
        restrictions=Restrictions(allowed_tags=(data.SMALL,)),
    )


def machizukuri() -> PointProgramme:
    return PointProgramme(
        code=MACHIZUKURI,
        name=LocalizedName(ja="まちづくりポイント", en="Community points"),
        activities=(
            _activity("kusakari", "地区の草刈り", "Mowing the district's verges", 200),
            _activity("matsuri", "地区の祭りの運営", "Running the district festival", 300),
            _activity("salon", "高齢者サロンの運営", "Running the seniors' salon", 200),
        ),
        monthly_cap=1_000,
        yearly_cap=6_000,
        budget=300_000,
        restrictions=Restrictions(allowed_districts=data.OUTLYING),
    )


def kenko() -> PointProgramme:
    return PointProgramme(
        code=KENKO,
        name=LocalizedName(ja="健康ポイント", en="Health points"),
        activities=(
            _activity("kenshin", "特定健診の受診", "Health check-up", 500),
            _activity("walking", "ウォーキング教室への参加", "Walking class", 100),
        ),
        monthly_cap=1_000,
        yearly_cap=2_000,
        budget=300_000,
    )


def _activity(code: str, ja: str, en: str, points: int) -> Activity:
    return Activity(code=code, name=LocalizedName(ja=ja, en=en), points=points)


def midnight(now: datetime) -> datetime:
    """The start of ``now``'s day in Japan."""
    return datetime.combine(now.astimezone(JAPAN).date(), time(), tzinfo=JAPAN)


def first_of_next_month(now: datetime) -> datetime:
    day = now.astimezone(JAPAN).date().replace(day=28) + timedelta(days=4)
    return datetime.combine(day.replace(day=1), time(), tzinfo=JAPAN)
