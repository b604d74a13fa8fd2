"""Deterministic, realistically messy department exports for tests, demos and benchmarks."""
