"""Open data: k-anonymous monthly tables, and the ledger export checked against chain heads."""
