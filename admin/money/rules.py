"""/admin/rules: the rules in force and the drafts by kind; draft a version with a form,
read it against the version in force field by field, approve or reject it (another staff
member: the one who drafted it sees why they cannot, and the service refuses them too)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession

from admin.money import common
from admin.money.rule_form import FIELDS, KIND_NAMES, KINDS, FormErrors, read
from admin.money.rule_words import diff, form_values
from admin.people import console
from admin.people.console import Acting, Reading, Session
from api import page_errors, web
from api.web import N_
from currency.auth.login import Principal
from currency.clock import JAPAN
from currency.errors import CurrencyError, NotFound, NotPermitted
from currency.issuance import rulebook
from currency.issuance.rulebook import StoredRule
from currency.issuance.rules import Rule
from currency.users.models import user

router = console.router()
ANY_RULE: Any = object  # the standing rule of a kind, whichever schema it is
FIX_FIELDS = N_("Some fields need a change. Please see the messages next to them.")
DRAFTED = N_("The draft is saved. Another staff member must approve it.")
APPROVED = N_("Approved. The rule is in force from its start time.")
REJECTED = N_("Rejected. It will not come into force.")
NEED_REASON = N_("Please write why it is rejected.")


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("/rules", response_class=HTMLResponse, name="money_rules")
async def overview(
    request: Request, who: Principal = Reading, session: AsyncSession = Session
) -> HTMLResponse:
    books = await common.books_of(session, who)
    stored = await rulebook.versions(session, currency_id=books.id)
    kinds = [await _kind_summary(session, books.id, kind, stored) for kind in KINDS]
    return await console.page(request, session, who, "admin/money/rules.html", {"kinds": kinds})


async def _kind_summary(
    session: AsyncSession, currency_id: int, kind: Any, stored: list[StoredRule]
) -> dict[str, Any]:
    in_force = await rulebook.in_force(session, currency_id=currency_id, kind=kind, now=_now())
    if not in_force and kind in rulebook.STANDING_KINDS:
        in_force = [await rulebook.standing(
            session, currency_id=currency_id, kind=kind, model=ANY_RULE, now=_now()
        )]  # fmt: skip
    mine = [s for s in stored if s.kind == kind]
    return {
        "kind": kind,
        "name": KIND_NAMES[kind],
        "in_force": in_force,
        "drafts": [s for s in mine if s.status == "draft"],
        "recent": mine[:5],
        "standing": kind in rulebook.STANDING_KINDS,
    }


@router.get("/rules/new", response_class=HTMLResponse, name="money_rule_new")
async def new(
    request: Request,
    kind: str = "charge_premium",
    code: str | None = None,
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> HTMLResponse:
    if kind not in KINDS:
        kind = "charge_premium"
    books = await common.books_of(session, who)
    current = await _current(session, books.id, kind, code or kind)
    values = form_values(current) if current is not None else _blank(kind)
    return await _form(request, session, who, kind, values, {})


def _blank(kind: str) -> dict[str, Any]:
    start = datetime.now(JAPAN).replace(second=0, microsecond=0)
    values: dict[str, Any] = {f.name: "" for f in FIELDS[kind]}
    if kind == "charge_premium":
        values |= {"starts_at": start.strftime("%Y-%m-%dT%H:%M"), "premium_kind": "point",
                   "channels": ["counter"]}  # fmt: skip
    return values


async def _form(
    request: Request, session: AsyncSession, who: Principal, kind: str, values: dict[str, Any],
    errors: dict[str, Any], status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    starts = values.get("_starts_at") or datetime.now(JAPAN).strftime("%Y-%m-%dT%H:%M")
    context = {"kind": kind, "kind_name": KIND_NAMES[kind], "fields": FIELDS[kind],
               "values": values, "errors": errors, "kinds": KIND_NAMES, "version_starts": starts,
               "note": values.get("_note", "")}  # fmt: skip
    if errors:
        context |= common.status(web.gettext(request, FIX_FIELDS), "error")
    return await console.page(
        request, session, who, "admin/money/rule_form.html", context, status_code=status_code
    )


@router.post("/rules/new", response_class=HTMLResponse)
async def draft(
    request: Request, who: Principal = Acting, session: AsyncSession = Session
) -> Response:
    form = await request.form()
    kind = common.text(form, "kind")
    if kind not in KINDS:
        kind = "charge_premium"
    values = _echo(kind, form)
    try:
        rule = read(kind, form)
        starts_at = datetime.fromisoformat(common.text(form, "version_starts")).replace(
            tzinfo=JAPAN
        )
    except FormErrors as bad:
        return await _form(request, session, who, kind, values, _words(request, bad), 422)
    except ValueError:
        errors = {"version_starts": web.gettext(request, FIX_FIELDS)}
        return await _form(request, session, who, kind, values, errors, 422)
    books = await common.books_of(session, who)
    stored = await rulebook.draft(
        session, currency_id=books.id, staff_id=who.id, rule=rule, starts_at=starts_at,
        note=common.text(form, "note") or None,
    )  # fmt: skip
    return RedirectResponse(f"/admin/rules/{stored.id}?done=drafted", status_code=303)


def _echo(kind: str, form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in FIELDS[kind]:
        if field.kind == "choices":
            values[field.name] = form.getlist(field.name)
        elif field.kind == "bool":
            values[field.name] = form.get(field.name) == "on"
        else:
            values[field.name] = common.text(form, field.name)
    values["_starts_at"] = common.text(form, "version_starts")
    values["_note"] = common.text(form, "note")
    return values


def _words(request: Request, bad: FormErrors) -> dict[str, str]:
    return {
        field: web.gettext(request, message).format(**args)
        for field, (message, args) in bad.errors.items()
    }


@router.get("/rules/{rule_id}", response_class=HTMLResponse, name="money_rule")
async def one(
    request: Request,
    rule_id: int,
    done: str | None = None,
    who: Principal = Reading,
    session: AsyncSession = Session,
) -> HTMLResponse:
    said = {"drafted": DRAFTED, "approved": APPROVED, "rejected": REJECTED}.get(done or "")
    extra = common.status(web.gettext(request, said), "success") if said else {}
    return await _version_page(request, who, session, rule_id, extra)


async def _version_page(
    request: Request, who: Principal, session: AsyncSession, rule_id: int,
    extra: dict[str, Any], status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    books = await common.books_of(session, who)
    try:
        stored = await rulebook.get(session, currency_id=books.id, rule_id=rule_id)
    except NotFound as error:
        missing = "admin/money/rules_missing.html"
        return await common.refused(request, session, who, missing, {}, error, status_code=404)
    current = await _current(session, books.id, stored.kind, stored.code)
    history = await rulebook.versions(
        session,
        currency_id=books.id,
        kind=cast(Any, stored.kind),
        code=stored.code,
    )
    names = await staff_names(session, books.id, history)
    context = {
        "stored": stored, "kind_name": KIND_NAMES[stored.kind], "current": current,
        "changes": diff(current, stored.rule), "fields": FIELDS[stored.kind],
        "history": history, "names": names, "mine": stored.drafted_by == who.id, **extra,
    }  # fmt: skip
    return await console.page(
        request, session, who, "admin/money/rule.html", context, status_code=status_code
    )


async def _current(session: AsyncSession, currency_id: int, kind: Any, code: str) -> Rule | None:
    """The version in force now with this kind and code (a standing rule: its default)."""
    found = await rulebook.in_force(session, currency_id=currency_id, kind=kind, now=_now())
    for rule in found:
        if rulebook.code_of(rule) == code:
            return rule
    if kind in rulebook.STANDING_KINDS:
        standing: Rule = await rulebook.standing(
            session, currency_id=currency_id, kind=kind, model=ANY_RULE, now=_now()
        )
        return standing
    return None


async def staff_names(
    session: AsyncSession, currency_id: int, history: list[StoredRule]
) -> dict[int, str]:
    ids = {s.drafted_by for s in history} | {s.decided_by for s in history if s.decided_by}
    rows = await session.execute(
        sa.select(user.c.id, user.c.display_name).where(
            user.c.currency_id == currency_id, user.c.id.in_(ids)
        )
    )
    return {int(i): str(name) for i, name in rows}


@router.post("/rules/{rule_id}/approve", response_class=HTMLResponse)
async def approve(
    request: Request, rule_id: int, who: Principal = Acting, session: AsyncSession = Session
) -> Response:
    books = await common.books_of(session, who)
    try:
        await rulebook.approve(session, currency_id=books.id, staff_id=who.id, rule_id=rule_id)
    except CurrencyError as error:
        return await _refused(request, who, session, rule_id, error)
    return RedirectResponse(f"/admin/rules/{rule_id}?done=approved", status_code=303)


@router.post("/rules/{rule_id}/reject", response_class=HTMLResponse)
async def reject(
    request: Request, rule_id: int, who: Principal = Acting, session: AsyncSession = Session
) -> Response:
    reason = common.text(await request.form(), "reason")
    if not reason:
        said = common.status(web.gettext(request, NEED_REASON), "error")
        return await _version_page(request, who, session, rule_id, said, 422)
    books = await common.books_of(session, who)
    try:
        await rulebook.reject(
            session, currency_id=books.id, staff_id=who.id, rule_id=rule_id, reason=reason
        )
    except CurrencyError as error:
        return await _refused(request, who, session, rule_id, error)
    return RedirectResponse(f"/admin/rules/{rule_id}?done=rejected", status_code=303)


OWN_DRAFT = N_("Another staff member must approve or reject this. Nothing was changed.")


async def _refused(
    request: Request, who: Principal, session: AsyncSession, rule_id: int, error: CurrencyError
) -> HTMLResponse:
    if isinstance(error, NotPermitted):
        said = web.gettext(request, OWN_DRAFT)
        code = 403
    else:
        said = page_errors.page_message(request, error)
        code = 409
    return await _version_page(request, who, session, rule_id, common.status(said, "error"), code)
