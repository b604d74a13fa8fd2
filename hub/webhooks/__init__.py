"""Signed webhooks out: every matching event delivered at least once, in order per endpoint."""
