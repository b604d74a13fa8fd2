"""Whistles (吹哨报到): a street office summons departments, which must report on site."""
