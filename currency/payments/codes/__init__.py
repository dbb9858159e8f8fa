"""QR payment codes: the resident's one-time code (CPM), the shop's printed link (static
MPM) and the shop's one-time code for a fixed amount (dynamic MPM). Cards are in
currency/residents (card_codes.py, cards.py); rendering QR images is qr_render.py.

Import as a module: ``from currency.payments import codes`` → ``codes.pay_with_token(...)``.
"""

from __future__ import annotations

from currency.payments.codes.common import ShopInfo, forget_unused
from currency.payments.codes.payment_requests import (
    REQUEST_LIFETIME,
    PaymentRequest,
    RequestInfo,
    create_payment_request,
    describe_request,
    pay_request,
)
from currency.payments.codes.shop_links import pay_shop, shop_for_link
from currency.payments.codes.text import check_shop_link, read_shop_link, shop_link
from currency.payments.codes.tokens import (
    TOKEN_LIFETIME,
    PaymentToken,
    issue_payment_token,
    pay_with_token,
)

__all__ = [
    "REQUEST_LIFETIME",
    "TOKEN_LIFETIME",
    "PaymentRequest",
    "PaymentToken",
    "RequestInfo",
    "ShopInfo",
    "check_shop_link",
    "create_payment_request",
    "describe_request",
    "forget_unused",
    "issue_payment_token",
    "pay_request",
    "pay_shop",
    "pay_with_token",
    "read_shop_link",
    "shop_for_link",
    "shop_link",
]
