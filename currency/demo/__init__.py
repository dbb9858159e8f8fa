"""Demo data for Saiki City: a currency, its rules, shops in all nine districts, residents,
a day of trade, and sign-ins to try it all.

Loaded once, on the first run (``meguri serve`` or ``meguri demo``), in one transaction,
through the same services the pages and the API use: rules drafted by one staff member
and approved by another, charges at the counter with the campaign's premium, points
granted under their programmes, cards issued with a PIN, payments, a refund, a send, a
shop paying a shop, an attendance event, bank accounts, and a reversal waiting for its
second approver. Residents are enrolled at the counter and those with a phone activate
with their letter's code and a PIN, as a resident would. Only the currency, shops and
staff are inserted directly: enrolment services for them do not exist yet.

- ``data``: the people and places; ``story``: what they do; ``rules``: the rulebook.
- ``people``, ``shops``: sign-ins, residents, cards, shops and their bank accounts.
- ``funding``, ``trading``: value in (charges, grants, the event), and trade.
- ``loader``: the transaction, and the sign-ins file.

Identifiers made here:

- **Resident numbers** look like ``S1000001`` (read as S-100-0001): ``S`` for Saiki, the
  district's three-digit code (佐伯 100, 上浦 110, 弥生 120, 本匠 130, 宇目 140, 直川 150,
  鶴見 160, 米水津 170, 蒲江 180), then a four-digit serial within that district. Letters
  and digits only, as the grant services and office spreadsheets expect them.
- **Card numbers** are 16 digits with a Luhn check digit (``currency.residents.card_codes``).
- **Merchant codes** are 6 random characters from an alphabet without look-alikes
  (no 0/O/o, 1/l/I/i), e.g. ``m7K2QX``: short enough for a printed ``/m/<code>`` QR.

Passwords (``secrets.token_urlsafe(9)``) and 4-digit PINs are drawn fresh for every
install and stored only as argon2 hashes; the few that the demo hands out (with the card
holder's QR text and the event's QR) are written to ``<data_dir>/demo-credentials.json``
(mode 0600), never to the code or the logs.
"""

from currency.demo.loader import credentials_path, is_empty, load, load_if_empty
from currency.demo.people import CODE_ALPHABET, new_merchant_code, new_pin

__all__ = [
    "CODE_ALPHABET",
    "credentials_path",
    "is_empty",
    "load",
    "load_if_empty",
    "new_merchant_code",
    "new_pin",
]
