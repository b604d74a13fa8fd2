"""Whistles (吹哨报到) and their summons: types, queries, mutations."""
