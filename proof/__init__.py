"""Proof harnesses: the whole running system under faults (chaos), fuzzing and load."""
