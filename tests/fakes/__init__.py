"""Small local HTTP servers speaking the wire formats of external services (no network here)."""
