"""Merchant pages of Meguri: take payments, see sales, refunds, payouts."""
