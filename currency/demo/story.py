"""What happens in the demo town, as data: points earned, purchases, a refund, a send, a
shop paying a shop, an attendance event and a correction waiting for approval.

Residents and shops are named as in ``currency.demo.data`` (people by name, shops by key).
Everyone's charge (``Person.coins``) comes first, at the city office counter.
"""

from __future__ import annotations

from typing import NamedTuple

from currency.demo.rules import KENKO, MACHIZUKURI, VOLUNTEER


class Grant(NamedTuple):
    resident: str
    programme: str
    activity: str
    days_ago: int  # when the activity took place


GRANTS = (
    # Volunteer points: small shops only.
    Grant("河野 勇", VOLUNTEER, "cleanup", 6),
    Grant("河野 勇", VOLUNTEER, "watch", 4),
    Grant("河野 勇", VOLUNTEER, "watch", 1),
    Grant("戸高 さくら", VOLUNTEER, "kodomo-shokudo", 5),
    Grant("戸高 さくら", VOLUNTEER, "kodomo-shokudo", 2),
    Grant("戸高 さくら", VOLUNTEER, "watch", 1),
    Grant("清水 一郎", VOLUNTEER, "cleanup", 3),
    Grant("清水 一郎", VOLUNTEER, "watch", 2),
    Grant("清水 一郎", VOLUNTEER, "watch", 1),
    # Community points: only in the outlying districts, where these residents live.
    Grant("甲斐 トミ子", MACHIZUKURI, "kusakari", 5),
    Grant("甲斐 トミ子", MACHIZUKURI, "matsuri", 2),
    Grant("桑原 勝", MACHIZUKURI, "kusakari", 6),
    Grant("桑原 勝", MACHIZUKURI, "salon", 4),
    Grant("桑原 勝", MACHIZUKURI, "matsuri", 2),
    Grant("姫野 清", MACHIZUKURI, "salon", 3),
    Grant("姫野 清", MACHIZUKURI, "matsuri", 2),
    # Health points: anywhere.
    Grant("佐藤 ハナ", KENKO, "kenshin", 5),
    Grant("安部 和子", KENKO, "kenshin", 4),
    Grant("阿部 キヨ", KENKO, "walking", 6),
    Grant("阿部 キヨ", KENKO, "walking", 3),
)

PAYMENTS = (
    # (resident, shop, amount): every shop gets at least one sale.
    ("河野 勇", "maruyoshi", 1_280),
    ("佐藤 ハナ", "maruyoshi", 860),
    ("河野 勇", "shiroyama", 650),
    ("高橋 陽菜", "shiroyama", 480),
    ("工藤 美由紀", "drug", 2_480),
    ("工藤 美由紀", "super", 3_120),
    ("首藤 翔", "harukaze", 3_300),
    ("渡辺 正男", "taxi", 1_900),
    ("森 恵子", "yamagiwa", 8_800),
    ("甲斐 トミ子", "shiosai", 1_540),
    ("小野 義雄", "himawari", 1_150),
    ("矢野 千代", "tsukushi", 720),
    ("桑原 勝", "tsukushi", 1_200),
    ("安部 和子", "ayu", 900),
    ("戸高 さくら", "midori", 1_020),
    ("衛藤 芳江", "kajika", 6_500),
    ("児玉 茂", "komorebi", 2_800),
    ("二宮 由美", "komorebi", 3_300),
    ("姫野 清", "umikaze", 1_600),
    ("染矢 幸子", "umikaze", 540),
    ("吉田 大輔", "isokaze", 950),
    ("後藤 里美", "shiokaze", 1_350),
    ("阿部 キヨ", "shiokaze", 2_100),
    ("清水 一郎", "nagisa", 780),
    ("平川 ミツ", "nagisa", 430),
    ("三浦 健太", "gym", 600),
)

REFUND = ("工藤 美由紀", "drug", 480)
"""(resident, shop, amount): the shop gives back part of that payment (an item returned)."""

SEND = ("首藤 翔", "佐藤 ハナ", 1_000)
"""(sender, receiver, coins): a grandson sends his grandmother some coins."""

MERCHANT_PAY = ("shiokaze", "shiosai", 1_200)
"""(payer, payee, coins): the restaurant pays the fish shop for the morning's catch."""

EVENT = ("佐伯港の清掃活動", VOLUNTEER, "cleanup", "高橋 陽菜")
"""(name, programme, activity, attendee): today's clean-up; one attendee has claimed."""

EVENT_CLAIM_DAYS = 7
"""The event's QR can be claimed from the start of today for this many days."""

REVERSAL = ("渡辺 正男", "taxi", "金額の入力誤り（正しくは1,090円）")
"""(resident, shop, reason): the driver typed 1,900 for 1,090; staff2 asks to reverse it."""
