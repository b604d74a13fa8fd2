"""Mutations: each takes one ``input`` and returns a payload with ``errors``."""
