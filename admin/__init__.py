"""The city staff console of Meguri."""
