"""Identity: sign-in, tokens, rate limits."""
