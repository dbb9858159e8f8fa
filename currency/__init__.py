"""Meguri's domain and ledger core. Imports no web framework."""
