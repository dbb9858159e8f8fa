"""Issuance: charge premiums, point programmes and grants of volunteer points."""
