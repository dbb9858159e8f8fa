"""What a payment needs to know besides the wallet's lots, read in one query per batch,
after the wallet locks are taken: the shop, the payer's verification level and what the
wallet has already spent today, and the wallet limits in force.

The rule in force is chosen as ``currency.issuance.schedule.rule_in_force`` chooses it
(the highest-numbered approved version that has started); tests hold the two together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from currency.errors import AccountUnavailable, NotFound
from currency.issuance.rules import WalletLimits, parse_rule
from currency.ledger.posting import Prefetch
from currency.ledger.spending import Payee

LEVELS = {1: "basic", 2: "verified"}  # resident.verification_level → wallet_limits level

PAYMENT_CONTEXT = """
SELECT u.n, m.account_id, m.name, m.tags, m.district, m.status AS shop_status,
       r.verification_level, r.status AS resident_status, s.spent, lim.body
  FROM unnest($2::bigint[], $3::bigint[]) WITH ORDINALITY AS u(wallet, merchant, n)
  JOIN currency c ON c.id = $1
  LEFT JOIN merchant m ON m.currency_id = $1 AND m.id = u.merchant
  LEFT JOIN resident r ON r.currency_id = $1 AND r.wallet_account_id = u.wallet
  LEFT JOIN LATERAL (
    SELECT coalesce(sum(t.amount), 0) AS spent FROM ledger_transfer t
     WHERE t.currency_id = $1 AND t.debit_account_id = u.wallet AND t.kind LIKE 'payment.%'
       AND t.created_at >= date_trunc('day', now() AT TIME ZONE c.timezone) AT TIME ZONE c.timezone
  ) s ON true
  LEFT JOIN LATERAL (
    SELECT r2.body::text AS body FROM issuance_rule r2
      JOIN issuance_rule_decision d ON d.currency_id = r2.currency_id AND d.rule_id = r2.id
     WHERE r2.currency_id = $1 AND r2.kind = 'wallet_limits' AND d.decision = 'approved'
       AND r2.starts_at <= now() AND d.created_at <= now()
     ORDER BY r2.version DESC LIMIT 1
  ) lim ON true
"""


@dataclass(frozen=True)
class Shop:
    id: int
    account_id: int
    name: str
    payee: Payee


@dataclass(frozen=True)
class PaymentContext:
    shop: Shop
    level: str
    spent_today: int
    limits: WalletLimits


def prefetch(wallet_account_id: int, merchant_id: int) -> Prefetch:
    return Prefetch(PAYMENT_CONTEXT, (wallet_account_id, merchant_id))


def read(row: Mapping[str, Any] | None, merchant_id: int) -> PaymentContext:
    """The context of one payment, or why it cannot be made."""
    if row is None or row["account_id"] is None:
        raise NotFound(f"shop {merchant_id} does not exist")
    if row["shop_status"] != "active":
        raise AccountUnavailable(f"{row['name']} cannot take payments now")
    if row["resident_status"] not in (None, "active"):
        raise AccountUnavailable("this wallet cannot pay now; please ask the city office")
    payee = Payee(frozenset(row["tags"]), row["district"])
    shop = Shop(merchant_id, row["account_id"], row["name"], payee)
    level = LEVELS.get(row["verification_level"] or 1, "basic")
    return PaymentContext(shop, level, int(row["spent"]), _limits(row["body"]))


@lru_cache(maxsize=64)
def _limits(body: str | None) -> WalletLimits:
    """A rule body is parsed once per process, not once per payment."""
    if body is None:
        return WalletLimits()
    rule = parse_rule(body)
    assert isinstance(rule, WalletLimits)
    return rule
