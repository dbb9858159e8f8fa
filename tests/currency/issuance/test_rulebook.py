"""Rule versions in the database: four eyes, in force from their start, never edited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from currency.audit import service as audit
from currency.errors import AlreadyDone, InvalidOperation, NotPermitted
from currency.issuance import rulebook
from currency.issuance.rules import MerchantFee, SendPolicy
from tests.factories import Books

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


async def staff_pair(session: AsyncSession) -> tuple[Books, int, int]:
    books = await Books.open(session)
    return books, await books.staff(), await books.staff()


class TestRulebook:
    async def test_a_draft_is_not_in_force_until_another_person_approves_it(
        self, session: AsyncSession
    ) -> None:
        books, alice, bob = await staff_pair(session)
        fee = MerchantFee(default_rate_bp=200)
        drafted = await rulebook.draft(
            session, currency_id=books.currency_id, staff_id=alice, rule=fee,
            starts_at=NOW - timedelta(days=1),
        )  # fmt: skip
        assert drafted.status == "draft" and drafted.version == 1
        standing = await rulebook.standing(
            session, currency_id=books.currency_id, kind="merchant_fee", model=MerchantFee,
            now=datetime.now(UTC),
        )  # fmt: skip
        assert standing.default_rate_bp == MerchantFee().default_rate_bp  # the default still
        with pytest.raises(NotPermitted):
            await rulebook.approve(
                session, currency_id=books.currency_id, staff_id=alice, rule_id=drafted.id
            )
        approved = await rulebook.approve(
            session, currency_id=books.currency_id, staff_id=bob, rule_id=drafted.id
        )
        assert approved.status == "approved" and approved.decided_by == bob
        standing = await rulebook.standing(
            session, currency_id=books.currency_id, kind="merchant_fee", model=MerchantFee,
            now=datetime.now(UTC),
        )  # fmt: skip
        assert standing.default_rate_bp == 200
        trail = await audit.entries(
            session, currency_id=books.currency_id, target=f"rule:{drafted.id}"
        )
        assert [e["action"] for e in trail] == ["rule.approve", "rule.draft"]
        assert trail[0]["actor"] == f"staff:{bob}"

    async def test_a_rejected_version_never_takes_effect_and_needs_a_reason(
        self, session: AsyncSession
    ) -> None:
        books, alice, bob = await staff_pair(session)
        drafted = await rulebook.draft(
            session, currency_id=books.currency_id, staff_id=alice,
            rule=SendPolicy(enabled=False), starts_at=NOW,
        )  # fmt: skip
        with pytest.raises(InvalidOperation):
            await rulebook.reject(
                session, currency_id=books.currency_id, staff_id=bob, rule_id=drafted.id,
                reason="  ",
            )  # fmt: skip
        rejected = await rulebook.reject(
            session, currency_id=books.currency_id, staff_id=bob, rule_id=drafted.id,
            reason="市民への周知が終わっていません",
        )  # fmt: skip
        assert rejected.status == "rejected"
        with pytest.raises(AlreadyDone):
            await rulebook.approve(
                session, currency_id=books.currency_id, staff_id=bob, rule_id=drafted.id
            )
        found = await rulebook.in_force(
            session, currency_id=books.currency_id, kind="send_policy", now=datetime.now(UTC)
        )
        assert found == []

    async def test_a_new_version_replaces_the_old_one_from_its_start_and_history_stays(
        self, session: AsyncSession
    ) -> None:
        books, alice, bob = await staff_pair(session)
        cid = books.currency_id
        first = await rulebook.draft(
            session, currency_id=cid, staff_id=alice, rule=MerchantFee(default_rate_bp=100),
            starts_at=NOW - timedelta(days=30),
        )  # fmt: skip
        await rulebook.approve(session, currency_id=cid, staff_id=bob, rule_id=first.id)
        later = datetime.now(UTC) + timedelta(days=10)
        second = await rulebook.draft(
            session, currency_id=cid, staff_id=bob, rule=MerchantFee(default_rate_bp=300),
            starts_at=later,
        )  # fmt: skip
        await rulebook.approve(session, currency_id=cid, staff_id=alice, rule_id=second.id)
        assert second.version == 2

        async def rate(at: datetime) -> int:
            rule = await rulebook.standing(
                session, currency_id=cid, kind="merchant_fee", model=MerchantFee, now=at
            )
            return rule.default_rate_bp

        assert await rate(datetime.now(UTC)) == 100
        assert await rate(later + timedelta(seconds=1)) == 300
        history = await rulebook.versions(session, currency_id=cid, kind="merchant_fee")
        assert [(v.version, v.status) for v in history] == [(2, "approved"), (1, "approved")]

    async def test_rule_rows_cannot_be_edited_in_place(self, session: AsyncSession) -> None:
        books, alice, _ = await staff_pair(session)
        await rulebook.draft(
            session, currency_id=books.currency_id, staff_id=alice, rule=MerchantFee(),
            starts_at=NOW,
        )  # fmt: skip
        with pytest.raises(sa.exc.DBAPIError, match="permission denied"):
            async with session.begin_nested():
                await session.execute(sa.text("UPDATE issuance_rule SET body = '{}'"))
