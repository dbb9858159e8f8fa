"""Reports for the city: daily rollups, the dashboard, and the base-date report (資金決済法)."""
