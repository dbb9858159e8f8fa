"""Staff corrections: a reversal asked for by one staff member, approved by another."""
