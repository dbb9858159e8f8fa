"""Examples for the OpenAPI of /v1/staff/merchants (api/v1/staff/merchants.py): a fish shop
in 佐伯 and a bakery in 蒲江, as the city office would enter them."""

from __future__ import annotations

from typing import Any

SHOP: dict[str, Any] = {
    "code": "m7K2QX",
    "name": "さいき鮮魚店",
    "name_kana": "サイキセンギョテン",
    "district": "佐伯",
    "category": "食料品",
    "tags": ["small-business", "food", "local-produce"],
    "is_public_body": False,
    "status": "active",
    "fee_rate_bp": 100,
    "created_at": "2026-03-02T09:12:00+09:00",
}
PAGE: dict[str, Any] = {"items": [SHOP], "next_cursor": "18"}
ONBOARDING: dict[str, Any] = {
    "name": "蒲江ベーカリー",
    "name_kana": "カマエベーカリー",
    "district": "蒲江",
    "category": "食料品",
    "tags": ["small-business", "food"],
}
CHANGE: dict[str, Any] = {"status": "suspended", "reason": "店舗改装のため6月末まで休業"}
_BANK: dict[str, Any] = {
    "bank_code": "0183",
    "bank_name_kana": "ｵｵｲﾀ",
    "branch_code": "315",
    "branch_name_kana": "ｻｲｷ",
    "account_type": 1,
}
BANK_ACCOUNT_IN: dict[str, Any] = {
    **_BANK,
    "account_number": "1234567",
    "holder_kana": "ｻｲｷｾﾝｷﾞﾖﾃﾝ",
}
BANK_ACCOUNT_OUT: dict[str, Any] = {
    **_BANK,
    "account_number": "***4567",
    "updated_at": "2026-03-02T09:30:00+09:00",
}
NEW_USER_IN: dict[str, Any] = {
    "role": "merchant_owner",
    "display_name": "鮮魚店 店主",
    "username": None,
}
NEW_USER_OUT: dict[str, Any] = {
    "id": 213,
    "username": "m7k2qx-1",
    "display_name": "鮮魚店 店主",
    "role": "merchant_owner",
    "initial_password": "Xq7mR2vK9pLt",
}
