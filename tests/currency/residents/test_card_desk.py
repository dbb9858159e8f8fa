"""Cards at the counter and in their owner's hands (currency/residents/card_desk.py), and
looking residents up (service.search)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from currency.errors import AlreadyDone, InvalidOperation, NotFound
from currency.residents import card_desk, cards
from currency.residents import service as residents
from tests.factories import Books

SECRET = b"meguri-test-secret-key"


async def carded(books: Books) -> tuple[int, cards.IssuedCard]:
    person = await books.resident()
    card = await cards.issue_card(
        books.session, currency_id=books.currency_id, resident_number=person.number,
        staff_id=await books.staff(), secret=SECRET,
    )  # fmt: skip
    return person.id, card


def test_names_fold_width_case_and_blanks_and_hiragana_reads_as_katakana() -> None:
    assert residents.folded("ＳＡＩＫＩ　Ｔａｒｏ") == "saikitaro"
    assert residents.folded("ｻｲｷ ﾊﾅｺ") == "サイキハナコ"
    assert residents.katakana("さいき はなこ") == "サイキ ハナコ"


async def test_the_owner_blocks_the_latest_card_and_sees_it(session: AsyncSession) -> None:
    books = await Books.open(session)
    resident_id, card = await carded(books)
    own = await card_desk.own_card(session, currency_id=books.currency_id, resident_id=resident_id)
    assert (own.status, own.last4, own.pin_locked) == ("active", card.card_number[-4:], False)
    blocked = await card_desk.block_own(
        session, currency_id=books.currency_id, resident_id=resident_id, reason="lost"
    )
    assert blocked.status == "blocked"
    with pytest.raises(AlreadyDone):
        await card_desk.block_own(
            session, currency_id=books.currency_id, resident_id=resident_id, reason="lost"
        )


async def test_a_resident_without_a_card_has_none(session: AsyncSession) -> None:
    books = await Books.open(session)
    person = await books.resident()
    with pytest.raises(NotFound):
        await card_desk.own_card(session, currency_id=books.currency_id, resident_id=person.id)


async def test_reissue_by_card_number_replaces_only_the_latest(session: AsyncSession) -> None:
    books = await Books.open(session)
    _, old = await carded(books)
    staff = await books.staff()
    again = await card_desk.reissue(
        session, currency_id=books.currency_id, card_number=old.printed_number,
        staff_id=staff, secret=SECRET, reason="破損",
    )  # fmt: skip
    assert again.card.replaces_card_id == old.card_id and again.resident_name
    with pytest.raises(AlreadyDone, match=again.card.card_number[-4:]):
        await card_desk.reissue(
            session, currency_id=books.currency_id, card_number=old.card_number,
            staff_id=staff, secret=SECRET, reason="破損",
        )  # fmt: skip


async def test_unlock_needs_the_identity_checked_and_a_locked_card(
    session: AsyncSession,
) -> None:
    books = await Books.open(session)
    _, card = await carded(books)
    staff = await books.staff()
    with pytest.raises(InvalidOperation, match="identity"):
        await card_desk.unlock(
            session, currency_id=books.currency_id, card_number=card.card_number,
            staff_id=staff, checked_identity=False,
        )  # fmt: skip
    with pytest.raises(AlreadyDone, match="not locked"):
        await card_desk.unlock(
            session, currency_id=books.currency_id, card_number=card.card_number,
            staff_id=staff, checked_identity=True,
        )  # fmt: skip


async def test_search_pages_by_enrolment_order(session: AsyncSession) -> None:
    books = await Books.open(session)
    people = [await books.resident(district="蒲江") for _ in range(3)]
    page = await residents.search(session, currency_id=books.currency_id, district="蒲江", limit=2)
    assert [p.resident_number for p in page.items] == [p.number for p in people[:2]]
    rest = await residents.search(
        session, currency_id=books.currency_id, district="蒲江", cursor=page.next_cursor
    )
    assert [p.resident_number for p in rest.items] == [people[2].number]
    assert rest.next_cursor is None
