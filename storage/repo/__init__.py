"""Data access: small functions taking the session explicitly. The only place SQL lives."""
