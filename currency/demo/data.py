"""The demo's people and places. Every name here is invented; any likeness is chance.

Shops are spread over the nine districts of Saiki (the towns and villages that merged
in 2005); residents lean old, as Saiki does, and a third of them pay with a card. What
they do (charges, points, payments) is in ``currency.demo.story``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

CURRENCY = {"code": "saiki", "name": "さいきコイン", "coin_unit": "コイン", "point_unit": "pt"}

DISTRICTS = ("佐伯", "上浦", "弥生", "本匠", "宇目", "直川", "鶴見", "米水津", "蒲江")

DISTRICT_CODES = {district: 100 + 10 * n for n, district in enumerate(DISTRICTS)}
"""The middle part of a demo resident number: 佐伯 100, 上浦 110 … 蒲江 180."""

DISTRICT_KANA = {
    "佐伯": "サイキ",
    "上浦": "カミウラ",
    "弥生": "ヤヨイ",
    "本匠": "ホンジョウ",
    "宇目": "ウメ",
    "直川": "ナオカワ",
    "鶴見": "ツルミ",
    "米水津": "ヨノウズ",
    "蒲江": "カマエ",
}
"""Readings, for the (invented) bank branches named after the districts."""

OUTLYING = DISTRICTS[1:]
"""The eight towns and villages around central 佐伯, which the city most wants to keep alive."""


@dataclass(frozen=True)
class Shop:
    key: str
    name: str
    kana: str
    district: str
    category: str
    tags: tuple[str, ...]
    public_body: bool = False
    holder: str | None = None
    """The bank account holder's name in kana, when it is not the shop's own."""


@dataclass(frozen=True)
class Person:
    name: str
    kana: str
    district: str
    birth_year: int
    coins: int
    """Yen charged at the city office counter (the campaign's premium comes on top)."""
    smartphone: bool = True
    verified: bool = False
    """Identity checked at the counter (verification level 2); card holders always are."""


SMALL: Final = "small-business"
FOOD: Final = "food"
LOCAL: Final = "local-produce"

SHOPS = (
    # The first shop is the one whose owner and clerk get demo sign-ins.
    Shop(
        "maruyoshi",
        "さいき朝市 まるよし青果",
        "サイキアサイチ マルヨシセイカ",
        "佐伯",
        "食料品",
        (SMALL, FOOD, LOCAL),
    ),
    Shop(
        "shiroyama", "喫茶 しろやま珈琲", "キッサ シロヤマコーヒー", "佐伯", "飲食", (SMALL, FOOD)
    ),
    Shop(
        "drug",
        "ばんじょう川ドラッグ 駅前店",
        "バンジョウガワドラッグ エキマエテン",
        "佐伯",
        "日用品",
        ("daily-goods", "pharmacy"),
    ),
    Shop(
        "super",
        "スーパーさかえ 佐伯中央店",
        "スーパーサカエ サイキチュウオウテン",
        "佐伯",
        "食料品",
        (FOOD, "daily-goods"),
    ),
    Shop(
        "harukaze",
        "ヘアサロン はるかぜ",
        "ヘアサロン ハルカゼ",
        "佐伯",
        "理美容",
        (SMALL, "beauty"),
    ),
    Shop("taxi", "城下まちタクシー", "ジョウカマチタクシー", "佐伯", "交通", (SMALL, "transport")),
    Shop(
        "yamagiwa",
        "城下町の宿 やまぎわ",
        "ジョウカマチノヤド ヤマギワ",
        "佐伯",
        "宿泊",
        (SMALL, "lodging"),
    ),
    Shop(
        "shiosai",
        "上浦 しおさい鮮魚店",
        "カミウラ シオサイセンギョテン",
        "上浦",
        "食料品",
        (SMALL, FOOD, LOCAL),
    ),
    Shop(
        "himawari",
        "弥生 ひまわり商店",
        "ヤヨイ ヒマワリショウテン",
        "弥生",
        "日用品",
        (SMALL, "daily-goods"),
    ),
    Shop(
        "tsukushi",
        "やよい直売所 つくしの里",
        "ヤヨイチョクバイジョ ツクシノサト",
        "弥生",
        "農産物直売",
        (SMALL, FOOD, LOCAL),
    ),
    Shop(
        "ayu",
        "本匠 清流の茶屋 あゆ",
        "ホンジョウ セイリュウノチャヤ アユ",
        "本匠",
        "飲食",
        (SMALL, FOOD),
    ),
    Shop(
        "midori",
        "宇目 みどりの里 直売所",
        "ウメ ミドリノサト チョクバイジョ",
        "宇目",
        "農産物直売",
        (SMALL, FOOD, LOCAL),
    ),
    Shop(
        "kajika",
        "宇目 山あいの民宿 かじか",
        "ウメ ヤマアイノミンシュク カジカ",
        "宇目",
        "宿泊",
        (SMALL, "lodging"),
    ),
    Shop(
        "komorebi",
        "直川 こもれび理容室",
        "ナオカワ コモレビリヨウシツ",
        "直川",
        "理美容",
        (SMALL, "beauty"),
    ),
    Shop(
        "umikaze",
        "鶴見 ひもの工房 うみかぜ",
        "ツルミ ヒモノコウボウ ウミカゼ",
        "鶴見",
        "食料品",
        (SMALL, FOOD, LOCAL),
    ),
    Shop(
        "isokaze",
        "米水津 港の食堂 いそかぜ",
        "ヨノウヅ ミナトノショクドウ イソカゼ",
        "米水津",
        "飲食",
        (SMALL, FOOD),
    ),
    Shop(
        "shiokaze",
        "蒲江 海の幸食堂 しおかぜ",
        "カマエ ウミノサチショクドウ シオカゼ",
        "蒲江",
        "飲食",
        (SMALL, FOOD, LOCAL),
    ),
    Shop(
        "nagisa",
        "蒲江 よろず屋 なぎさ",
        "カマエ ヨロズヤ ナギサ",
        "蒲江",
        "日用品",
        (SMALL, "daily-goods"),
    ),
    Shop(
        "gym",
        "佐伯市 総合体育館（施設使用料）",
        "サイキシ ソウゴウタイイクカン（シセツシヨウリョウ）",
        "佐伯",
        "公共施設",
        ("public-facility",),
        public_body=True,
        holder="サイキシ カイケイカンリシャ",  # 佐伯市会計管理者: the city's own account
    ),
)

RESIDENTS = (
    # The first with a phone and the first with a card get demo sign-ins.
    Person("河野 勇", "コウノ イサム", "佐伯", 1958, 12_000),
    Person("佐藤 ハナ", "サトウ ハナ", "佐伯", 1941, 8_000, smartphone=False),
    Person("工藤 美由紀", "クドウ ミユキ", "佐伯", 1975, 20_000, verified=True),
    Person("首藤 翔", "シュトウ ショウ", "佐伯", 1998, 10_000),
    Person("森 恵子", "モリ ケイコ", "佐伯", 1960, 15_000, verified=True),
    Person("高橋 陽菜", "タカハシ ヒナ", "佐伯", 2001, 3_000),
    Person("甲斐 トミ子", "カイ トミコ", "上浦", 1938, 5_000, smartphone=False),
    Person("渡辺 正男", "ワタナベ マサオ", "上浦", 1949, 7_000),
    Person("矢野 千代", "ヤノ チヨ", "弥生", 1944, 6_000, smartphone=False),
    Person("三浦 健太", "ミウラ ケンタ", "弥生", 1987, 9_000),
    Person("桑原 勝", "クワハラ マサル", "弥生", 1947, 4_000),
    Person("安部 和子", "アベ カズコ", "本匠", 1946, 5_000),
    Person("小野 義雄", "オノ ヨシオ", "本匠", 1940, 5_000, smartphone=False),
    Person("戸高 さくら", "トダカ サクラ", "宇目", 2004, 3_000),
    Person("衛藤 芳江", "エトウ ヨシエ", "宇目", 1952, 12_000, verified=True),
    Person("児玉 茂", "コダマ シゲル", "直川", 1945, 6_000, smartphone=False),
    Person("二宮 由美", "ニノミヤ ユミ", "直川", 1969, 8_000),
    Person("姫野 清", "ヒメノ キヨシ", "鶴見", 1943, 5_000),
    Person("染矢 幸子", "ソメヤ サチコ", "鶴見", 1955, 4_000, smartphone=False),
    Person("吉田 大輔", "ヨシダ ダイスケ", "米水津", 1981, 10_000),
    Person("阿部 キヨ", "アベ キヨ", "米水津", 1939, 3_000, smartphone=False),
    Person("後藤 里美", "ゴトウ サトミ", "蒲江", 1963, 9_000),
    Person("清水 一郎", "シミズ イチロウ", "蒲江", 1950, 7_000),
    Person("平川 ミツ", "ヒラカワ ミツ", "蒲江", 1942, 4_000, smartphone=False),
)

STAFF = (
    # Two, so that a change drafted by one can be approved by the other.
    ("staff1", "田中 美咲", "city_admin"),
    ("staff2", "後藤 健一", "city_staff"),
)

SHOP_USERS = (
    ("owner1", "丸尾 良子", "merchant_owner"),
    ("clerk1", "井上 翔太", "merchant_clerk"),
)
