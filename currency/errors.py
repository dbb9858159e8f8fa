"""Domain errors. They know nothing of HTTP: api/errors.py maps each to a status."""

from __future__ import annotations


class CurrencyError(Exception):
    """Base of every error a caller of currency/ may see and explain to a person."""


class InvalidOperation(CurrencyError):
    """The request itself is malformed: wrong amounts, unbalanced legs, mixed currencies."""


class NotFound(CurrencyError):
    """The object does not exist (or is not visible to the caller)."""


class AccountUnavailable(CurrencyError):
    """The account is closed or blocked and cannot take part in this operation."""


class InsufficientBalance(CurrencyError):
    """Not enough value for the amount. Carries what there is and what could be used here.

    ``total`` is everything in the wallet; ``spendable`` is what this payee may accept
    (restricted points or lots for another district are not spendable here).
    """

    def __init__(self, *, requested: int, total: int, spendable: int) -> None:
        self.requested = requested
        self.total = total
        self.spendable = spendable
        super().__init__(
            f"insufficient balance: requested {requested}, spendable {spendable}, total {total}"
        )

    @property
    def restricted(self) -> int:
        """Value present but not usable for this payee."""
        return self.total - self.spendable


class IdempotencyConflict(CurrencyError):
    """The idempotency key was used before for a different request."""


class IdempotencyInFlight(CurrencyError):
    """A request with this idempotency key is still being processed; retry shortly."""


class AlreadyReversed(CurrencyError):
    """The operation has been reversed already; a second reversal is refused."""


class LedgerBusy(CurrencyError):
    """Retries for a transient conflict (deadlock, serialization) ran out."""


class NotPermitted(CurrencyError):
    """This actor may not do this (approving one's own draft, a clerk refunding alone …)."""


class AlreadyDone(CurrencyError):
    """It was done before and is done once only (an event claimed, a period settled …)."""


class LimitExceeded(CurrencyError):
    """A cap, budget or limit of the rules refuses the request.

    ``code`` names the rule field (``monthly_cap``, ``daily_spend_cap``, ``budget`` …);
    ``limit``, ``used`` and ``requested`` let a page say how much is still possible.
    """

    def __init__(self, message: str, *, code: str, requested: int, limit: int, used: int) -> None:
        self.code = code
        self.requested = requested
        self.limit = limit
        self.used = used
        super().__init__(message)

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


class StoredDataUnreadable(CurrencyError):
    """Something stored sealed (a bank account) does not open: altered, moved from another
    row, or sealed with another key. Staff must enter it again; nothing is guessed."""


class Unauthenticated(CurrencyError):
    """No valid sign-in: a missing, expired, forged or revoked token, a wrong password.

    The message never says which (a forged token and an expired one look the same)."""


class RateLimited(CurrencyError):
    """Too many attempts (sign-in, PIN, activation) in a short time; try after a while."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class WrongPin(CurrencyError):
    """A PIN typed to allow something (a card's at the till, a shop owner's for a clerk's
    refund) did not match. Nothing was done; the failure was counted. Not "not permitted":
    the person may do this, and the PIN pad should simply be shown again."""


class InvalidCode(CurrencyError):
    """A scanned or typed code (QR, card, payment token, event code) is not one of ours,
    was altered, has expired or was already used. Nothing was charged."""
