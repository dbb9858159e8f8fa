"""Charges: coins bought with yen, at the counter or by a payment provider's webhook."""
