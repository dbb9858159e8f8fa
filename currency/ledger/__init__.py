"""The ledger: append-only, double-entry, lots, idempotency, hash chain, verify.

Import the pieces as modules: ``from currency.ledger import operations as ledger``.
"""
