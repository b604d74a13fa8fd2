"""Aggregates: rates and hotspots."""
