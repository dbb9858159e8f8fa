"""Volunteer point grants: one at a time (``grant``); bulk files and attendance events build
on the same steps (``prepare`` an order, ``issue`` it under the counters' locks).

- lookup: the resident, the programme in force (and its id), the activity, the lot expiry
- counters: the caps and budget counters, and the messages of a refusal
- service: ``grant``, ``prepare``, ``issue``, ``issue_request``
"""

from currency.issuance.grants.counters import Counters, cap_problem
from currency.issuance.grants.lookup import (
    Programme,
    Resident,
    activity_of,
    find_activity,
    find_residents,
    japan_date,
    lot_expiry,
    programme_in_force,
    resident_for_grant,
    source_account,
)
from currency.issuance.grants.service import (
    GrantResult,
    Order,
    grant,
    issue,
    issue_request,
    prepare,
    result_of,
)

__all__ = [
    "Counters",
    "GrantResult",
    "Order",
    "Programme",
    "Resident",
    "activity_of",
    "cap_problem",
    "find_activity",
    "find_residents",
    "grant",
    "issue",
    "issue_request",
    "japan_date",
    "lot_expiry",
    "prepare",
    "programme_in_force",
    "resident_for_grant",
    "result_of",
    "source_account",
]
