"""The staff console's frame and its people-side pages: sign-in, home, residents, cards,
counter charges, shops and the audit log."""
