"""The GraphQL face of standing connections (city and district platforms)."""
