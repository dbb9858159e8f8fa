"""Bulk volunteer-point grants from a CSV file: preview every row, then commit all or none.

One programme per file: the staff member names it (``programme_code``) when importing,
and every row's activity must be one of that programme's (by its code, or its Japanese
or English name); any other activity is a row error. The file format is
:mod:`currency.issuance.grant_csv`'s.

``preview`` writes nothing: each row is ok (with its points) or has problems (the
parser's, an unknown or suspended resident, an unknown activity, the programme not in
force, an activity date in the future, a cap or the budget passed counting the earlier
rows of the file). ``commit`` takes the programme's budget counter first (so it has the
programme's counters to itself), runs the same checks, and refuses the whole file if
any row has a problem; otherwise it grants every row in the caller's transaction (a
failure raises and the transaction rolls back) and counts them once. A file is known by
the SHA-256 of its bytes: each row is posted under the key ``<sha256>:<line>``
(principal ``staff-import``) and one audit record ``grant.bulk`` names the file, so the
same file committed twice, by anyone, grants once. The operations carry the file hash
and line; there is no per-row audit record.
"""

from currency.issuance.bulk.rows import RowOutcome
from currency.issuance.bulk.service import (
    PRINCIPAL,
    CommitResult,
    GrantFileRefused,
    Preview,
    Totals,
    commit,
    preview,
)

__all__ = [
    "PRINCIPAL",
    "CommitResult",
    "GrantFileRefused",
    "Preview",
    "RowOutcome",
    "Totals",
    "commit",
    "preview",
]
