"""Jurisdictions, grids and locating."""
