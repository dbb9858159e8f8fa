"""The one statement that folds a range of chained transfers into ``report_daily``.

It reads the transfers whose chain link has ``:lo < sequence <= :hi``, classifies each
(a reversal counts as minus the transfer it reverses, on the reversal's own day), splits
it by the programme of the lots it moved, and adds the sums to the existing rows.
"""

from __future__ import annotations

import sqlalchemy as sa

# Which measure a transfer kind is (on its first dotted part; settlement by its leg).
_MEASURE = """
  CASE split_part(b.kind, '.', 1)
    WHEN 'charge' THEN 'issued' WHEN 'grant' THEN 'issued'
    WHEN 'payment' THEN 'spent' WHEN 'refund' THEN 'refunded'
    WHEN 'send' THEN 'sent' WHEN 'expire' THEN 'expired'
    WHEN 'merchant_pay' THEN 'merchant_paid'
    WHEN 'settlement' THEN CASE b.kind WHEN 'settlement.fee' THEN 'fee' ELSE 'settled' END
    ELSE 'other' END"""

# A resident side (age band; district for issuance, sends and expiry) and a shop side.
_RESIDENT_SIDE = """
  CASE WHEN measure IN ('issued', 'refunded') THEN base_credit
       WHEN measure IN ('spent', 'sent', 'expired') THEN base_debit END"""
_SHOP_SIDE = """
  CASE WHEN measure = 'spent' THEN base_credit
       WHEN measure IN ('refunded', 'settled', 'fee', 'merchant_paid') THEN base_debit END"""

_AGE = "(extract(year FROM x.day)::int - r.birth_year)"
_AGE_BAND = f"""
  CASE WHEN x.resident_account IS NULL THEN ''
       WHEN r.birth_year IS NULL OR {_AGE} < 0 THEN 'unknown'
       WHEN {_AGE} >= 90 THEN '90+'
       ELSE ({_AGE} / 10 * 10)::text || '-' || ({_AGE} / 10 * 10 + 9)::text END"""

# Only the constant fragments above are formatted in.
FOLD = sa.text(
    f"""
WITH t AS (
  SELECT t.id, t.amount, t.debit_account_id AS debit,
         coalesce(o.kind, t.kind) AS kind,
         coalesce(o.debit_account_id, t.debit_account_id) AS base_debit,
         coalesce(o.credit_account_id, t.credit_account_id) AS base_credit,
         CASE WHEN t.reverses_transfer_id IS NULL THEN 1 ELSE -1 END AS sign,
         (t.created_at AT TIME ZONE cur.timezone)::date AS day
    FROM ledger_chain_link c
    JOIN currency cur ON cur.id = c.currency_id
    JOIN ledger_transfer t ON t.currency_id = c.currency_id AND t.id = c.transfer_id
    LEFT JOIN ledger_transfer o
      ON o.currency_id = t.currency_id AND o.id = t.reverses_transfer_id
   WHERE c.currency_id = :c AND c.sequence > :lo AND c.sequence <= :hi
), b AS (
  SELECT b.*, {_MEASURE} AS measure,
         CASE WHEN b.kind LIKE '%.coin' THEN 'coin'
              WHEN b.kind LIKE '%.point' THEN 'point' ELSE 'mixed' END AS value_kind
    FROM t b
), sides AS (
  SELECT b.*, {_RESIDENT_SIDE} AS resident_account, {_SHOP_SIDE} AS shop_account FROM b b
), pieces AS (  -- the lots a transfer moved, on the side it took them from (or gave them to)
  SELECT m.transfer_id AS id, coalesce(l.programme_id, 0) AS programme_id,
         sum(abs(m.amount)) AS amount
    FROM sides s
    JOIN ledger_account a ON a.currency_id = :c AND a.id = s.debit
    JOIN ledger_lot_movement m ON m.currency_id = :c AND m.transfer_id = s.id
    JOIN ledger_lot l ON l.currency_id = :c AND l.id = m.lot_id
   WHERE (a.kind = 'wallet') = (m.amount < 0)
   GROUP BY m.transfer_id, coalesce(l.programme_id, 0)
), x AS (
  SELECT s.day, s.measure, s.value_kind, s.resident_account, s.shop_account,
         coalesce(p.programme_id, 0) AS programme_id,
         s.sign * coalesce(p.amount, s.amount) AS amount,
         CASE WHEN row_number() OVER (PARTITION BY s.id ORDER BY p.programme_id) = 1
              THEN s.sign ELSE 0 END AS count
    FROM sides s LEFT JOIN pieces p ON p.id = s.id
), cells AS (
  SELECT x.day, x.measure, x.value_kind, x.programme_id,
         coalesce(shop.category, '') AS category,
         CASE WHEN x.shop_account IS NOT NULL THEN coalesce(shop.district, 'unknown')
              WHEN x.resident_account IS NOT NULL THEN coalesce(r.district, 'unknown')
              ELSE '' END AS district,
         {_AGE_BAND} AS age_band,
         sum(x.amount) AS amount, sum(x.count) AS count
    FROM x
    LEFT JOIN resident r ON r.currency_id = :c AND r.wallet_account_id = x.resident_account
    LEFT JOIN merchant shop ON shop.currency_id = :c AND shop.account_id = x.shop_account
   GROUP BY 1, 2, 3, 4, 5, 6, 7
)
INSERT INTO report_daily AS d (currency_id, day, measure, value_kind, programme_id, category,
                               district, age_band, amount, count)
SELECT :c, day, measure, value_kind, programme_id, category, district, age_band, amount, count
  FROM cells
ON CONFLICT (currency_id, day, measure, value_kind, programme_id, category, district, age_band)
DO UPDATE SET amount = d.amount + excluded.amount, count = d.count + excluded.count
"""  # noqa: S608
)
