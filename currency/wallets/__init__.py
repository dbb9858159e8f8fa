"""What a resident sees of their wallet."""
