"""Settlement: paying merchants their takings by bank transfer."""
