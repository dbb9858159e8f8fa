"""Refusals in plain words for the pages, in the visitor's language.

The services raise domain errors with English sentences for logs and the JSON API; a page
shows a person what happened and what to do, in Japanese first. One table for the three
page sets, most precise kind first. Every message says that nothing was changed where a
person might fear otherwise.
"""

from __future__ import annotations

from fastapi import Request

from api import web
from api.web import N_
from currency import errors as e
from currency.auth.totp import TotpRequired
from currency.residents.card_codes import PinLocked

NOT_ENOUGH = N_("Your balance is not enough for this. You can use up to {spendable} here.")
RESTRICTED = N_(
    "{restricted} of your balance cannot be used here (for example, points for other shops "
    "or another district)."
)
OVER_LIMIT = N_("This is over a limit set by the city. You can still use {remaining}.")
WAIT = N_("There were too many tries. Please wait {minutes} minutes and try again.")

MESSAGES: tuple[tuple[type[Exception], str], ...] = (
    (PinLocked, N_("This is locked after too many wrong PINs. Please ask the city office.")),
    (TotpRequired, N_("Please enter the 6-digit code from your authenticator app.")),
    (e.WrongPin, N_("The PIN is not right. Please enter it again. Nothing was paid.")),
    (
        e.InvalidCode,
        N_("This code cannot be used. It may be old or already used. Please show a new code."),
    ),
    (e.Unauthenticated, N_("The details are not right. Please check them and try again.")),
    (
        e.AccountUnavailable,
        N_("This account or card cannot be used at the moment. Please ask the city office."),
    ),
    (e.NotFound, N_("We could not find it. Please check the number and try again.")),
    (e.NotPermitted, N_("Your account cannot do this. Please ask the person in charge.")),
    (e.AlreadyReversed, N_("This was already cancelled. Nothing more was changed.")),
    (e.AlreadyDone, N_("This has already been done. Nothing more was changed.")),
    (e.IdempotencyInFlight, N_("This is still being processed. Please wait a moment.")),
    (
        e.IdempotencyConflict,
        N_("This form was already sent. Please check your history before trying again."),
    ),
    (e.LedgerBusy, N_("The service is busy. Please try again in a moment. Nothing was changed.")),
    (e.InvalidOperation, N_("This cannot be done as entered. Please check and try again.")),
    (
        e.CurrencyError,
        N_(
            "This could not be done, and nothing was changed. If it happens again, please ask "
            "the city office."
        ),
    ),
)


def page_message(request: Request, error: Exception, *, unit: str = "") -> str:
    """What a page says about ``error`` (amounts shown with ``unit``, e.g. "コイン")."""
    if isinstance(error, e.InsufficientBalance):
        return _not_enough(request, error, unit)
    if isinstance(error, e.LimitExceeded):
        remaining = web.amount(error.remaining, unit)
        return web.gettext(request, OVER_LIMIT).format(remaining=remaining)
    if isinstance(error, e.RateLimited):
        minutes = max(1, -(-error.retry_after // 60))
        return web.gettext(request, WAIT).format(minutes=minutes)
    for kind, message in MESSAGES:
        if isinstance(error, kind):
            return web.gettext(request, message)
    raise error  # not a refusal: a real fault, for the error pages and the log


def _not_enough(request: Request, error: e.InsufficientBalance, unit: str) -> str:
    said = web.gettext(request, NOT_ENOUGH).format(spendable=web.amount(error.spendable, unit))
    if error.restricted > 0:
        restricted = web.amount(error.restricted, unit)
        said += " " + web.gettext(request, RESTRICTED).format(restricted=restricted)
    return said
