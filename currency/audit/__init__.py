"""The audit log: every staff action, append-only."""
