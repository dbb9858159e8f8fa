"""Small builders for tests: a currency, wallets, merchants, value in wallets."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

import asyncpg
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.db.engine import plain_url
from currency.ledger import accounts, operations
from currency.ledger.models import currency
from currency.ledger.operations import Context, Issue
from currency.ledger.types import Posted
from currency.merchants.models import merchant
from currency.residents.models import resident
from currency.users.models import user
from tests.conftest import DatabaseUnderTest

TODAY = date(2026, 11, 26)
_codes = itertools.count(1)


@dataclass(frozen=True)
class Shop:
    id: int
    account_id: int
    code: str = ""


@dataclass(frozen=True)
class Resident:
    id: int
    number: str
    wallet: int


@dataclass
class Books:
    """One test currency and handy ways to fill it."""

    session: AsyncSession
    currency_id: int
    today: date = TODAY

    @classmethod
    async def open(cls, session: AsyncSession) -> Books:
        code = f"T{next(_codes)}-{id(session) % 100000}"
        currency_id = await session.scalar(
            sa.insert(currency)
            .values(code=code, name="テストコイン", coin_unit="コイン", point_unit="pt")
            .returning(currency.c.id)
        )
        assert currency_id is not None
        return cls(session, currency_id)

    async def wallet(self) -> int:
        return await accounts.open_account(
            self.session, currency_id=self.currency_id, kind="wallet"
        )

    async def merchant(self) -> int:
        return await accounts.open_account(
            self.session, currency_id=self.currency_id, kind="merchant"
        )

    async def shop(
        self,
        *,
        district: str = "佐伯",
        tags: tuple[str, ...] = ("food",),
        status: str = "active",
        public_body: bool = False,
    ) -> Shop:
        """A merchant (its row and its ledger account), as a payment finds it."""
        account_id = await self.merchant()
        n = next(_codes)
        merchant_id = await self.session.scalar(
            sa.insert(merchant)
            .values(
                currency_id=self.currency_id,
                code=f"M{n}",
                name=f"テスト商店 {n}",
                district=district,
                category=tags[0],
                tags=list(tags),
                account_id=account_id,
                status=status,
                is_public_body=public_body,
            )
            .returning(merchant.c.id)
        )
        assert merchant_id is not None
        return Shop(merchant_id, account_id, f"M{n}")

    async def resident(
        self,
        *,
        district: str = "佐伯",
        level: int = 1,
        pin_hash: str | None = None,
        has_smartphone: bool = True,
        birth_year: int = 1960,
    ) -> Resident:
        """A resident with an open wallet."""
        wallet = await self.wallet()
        number = f"{next(_codes):010d}"
        resident_id = await self.session.scalar(
            sa.insert(resident)
            .values(
                currency_id=self.currency_id,
                resident_number=number,
                name=f"テスト 太郎{number[-3:]}",
                district=district,
                birth_year=birth_year,
                verification_level=level,
                has_smartphone=has_smartphone,
                pin_hash=pin_hash,
                wallet_account_id=wallet,
            )
            .returning(resident.c.id)
        )
        assert resident_id is not None
        return Resident(resident_id, number, wallet)

    async def staff(self, *, role: str = "city_staff") -> int:
        """A city staff member (no password: tests do not sign in through here)."""
        n = next(_codes)
        staff_id = await self.session.scalar(
            sa.insert(user)
            .values(
                currency_id=self.currency_id,
                username=f"staff{n}",
                display_name=f"職員 {n}",
                role=role,
                password_hash="!",
            )
            .returning(user.c.id)
        )
        assert staff_id is not None
        return int(staff_id)

    async def issued(self) -> int:
        return await accounts.system_account(
            self.session, currency_id=self.currency_id, code=accounts.ISSUED_COINS
        )

    async def granted(self, programme_id: int | None = None) -> int:
        return await accounts.system_account(
            self.session, currency_id=self.currency_id, code=accounts.granted_points(programme_id)
        )

    async def charge(
        self, wallet: int, amount: int, *, days: int = 180, key: str | None = None
    ) -> Posted:
        issue = Issue(await self.issued(), amount, "coin", self.today + timedelta(days=days))
        return await operations.issue(
            self.session,
            currency_id=self.currency_id,
            wallet=wallet,
            issues=[issue],
            kind="charge",
            ctx=Context(actor="test"),
        )

    async def grant(
        self,
        wallet: int,
        amount: int,
        *,
        days: int = 90,
        tags: frozenset[str] | None = None,
        districts: frozenset[str] | None = None,
    ) -> Posted:
        issue = Issue(
            await self.granted(),
            amount,
            "point",
            self.today + timedelta(days=days),
            allowed_tags=tags,
            allowed_districts=districts,
        )
        return await operations.issue(
            self.session,
            currency_id=self.currency_id,
            wallet=wallet,
            issues=[issue],
            kind="grant",
            ctx=Context(actor="test"),
        )

    async def balance(self, account_id: int) -> int:
        return await accounts.balance(
            self.session, currency_id=self.currency_id, account_id=account_id
        )


async def as_superuser(db: DatabaseUnderTest, sql: str) -> None:
    """Run SQL past the triggers, as an attacker with database access would."""
    url = db.superuser_url or db.owner_url
    conn = await asyncpg.connect(plain_url(url))
    try:
        await conn.execute("SET session_replication_role = replica")
        await conn.execute(sql)
    finally:
        await conn.close()
