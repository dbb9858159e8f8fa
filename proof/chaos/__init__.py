"""The bank test (Jepsen-style) for Meguri: payments, sends and refunds from many clients
while the app is SIGKILLed and PostgreSQL crashes, with totals checked all along.

Run it with ``make chaos`` or ``python -m proof.chaos --seed N``.
"""
