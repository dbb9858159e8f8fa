"""Report tables: daily rollups of the ledger and how far they have read it.

``report_daily`` is a cache of ledger facts (``meguri rollup rebuild`` recomputes it):
one row per JST day and cell (measure, value kind, programme, merchant category,
district, resident age band) with the net amount and the number of transfers.
"""

from __future__ import annotations

import sqlalchemy as sa

from currency.db.metadata import currency_column, metadata

MEASURES = (
    "issued",  # charges (coins, premiums) and grants (points) into wallets
    "spent",  # residents' payments to shops
    "refunded",  # shops giving payments back
    "sent",  # resident to resident
    "settled",  # shops' value paid out in yen (the payout)
    "fee",  # the fee kept on a settlement
    "expired",  # value moved out of wallets after its expiry date
    "merchant_paid",  # a shop paying another local shop
    "other",
)

daily = sa.Table(
    "report_daily",
    metadata,
    currency_column(),
    sa.Column("day", sa.Date, primary_key=True),  # the JST day of the transfers
    sa.Column("measure", sa.Text, primary_key=True),
    sa.Column("value_kind", sa.Text, primary_key=True),  # coin, point, mixed (shop balances)
    sa.Column("programme_id", sa.BigInteger, primary_key=True),  # 0: no programme
    sa.Column("category", sa.Text, primary_key=True),  # the shop's; '' without a shop
    sa.Column("district", sa.Text, primary_key=True),  # see currency/reports/rollups.py
    sa.Column("age_band", sa.Text, primary_key=True),  # '60-69', '90+', 'unknown'; '' no resident
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("count", sa.BigInteger, nullable=False),
)

# How far the rollups have read the hash chain (its sequence is in commit order).
mark = sa.Table(
    "report_rollup_mark",
    metadata,
    currency_column(),
    sa.Column("last_sequence", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column(
        "refreshed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    ),
)
