"""Adapter runs and their quarantine."""
