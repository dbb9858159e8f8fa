"""Resident pages of Meguri (phone-first)."""
