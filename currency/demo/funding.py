"""Value entering the demo town through the real services: charges at the counter (with
the campaign's premium), volunteer and other points granted by staff, and an attendance
event whose QR one resident has scanned."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from currency.charges import service as charges
from currency.demo import story
from currency.demo.rules import midnight
from currency.demo.town import Town
from currency.issuance import events, grants


async def charge_everyone(session: AsyncSession, town: Town) -> None:
    """Each resident charges their coins at the city office counter, staff1 at the till."""
    for n, row in enumerate(town.people.values(), start=1):
        await charges.charge(
            session,
            currency_id=town.currency_id,
            resident_number=row.number,
            yen=row.person.coins,
            channel="counter",
            reference=f"DEMO-{n:04d}",
            actor=f"staff:{town.drafter}",
            idempotency=None,
            now=town.now,
        )


async def grant_points(session: AsyncSession, town: Town) -> None:
    """Points for the activities in ``story.GRANTS``, entered by staff2."""
    for grant in story.GRANTS:
        await grants.grant(
            session,
            currency_id=town.currency_id,
            resident_number=town.people[grant.resident].number,
            programme_code=grant.programme,
            activity_code=grant.activity,
            staff_id=town.approver,
            on=town.today - timedelta(days=grant.days_ago),
            now=town.now,
        )


async def hold_event(session: AsyncSession, town: Town) -> events.Event:
    """Today's clean-up: staff1 prints its QR; one attendee has already scanned it."""
    name, programme, activity, attendee = story.EVENT
    opens = midnight(town.now)
    event = await events.create_event(
        session,
        currency_id=town.currency_id,
        programme_code=programme,
        activity_code=activity,
        name=name,
        starts_at=opens,
        ends_at=opens + timedelta(days=story.EVENT_CLAIM_DAYS),
        staff_id=town.drafter,
        secret=town.settings.secret_key,
        now=town.now,
    )
    await events.claim(
        session,
        currency_id=town.currency_id,
        resident_number=town.people[attendee].number,
        token=event.token,
        now=town.now,
        secret=town.settings.secret_key,
    )
    return event
